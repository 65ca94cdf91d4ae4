"""Turn text as it really arrives (Slack-escaped, auto-linked, fenced, huge, binary) into plain text to read.

Slack sends `&lt;` `&gt;` `&amp;`, wraps host names and addresses as `<http://smtp.x.com|smtp.x.com>` and
`<mailto:a@b.com|a@b.com>`, and people paste inside code fences. Pure; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.text import keep_ends, strip_controls

__all__ = ["HEAD_CHARS", "MAX_CHARS", "TAIL_CHARS", "normalize", "repair_mojibake", "to_text"]

# Slack's message limit is 40,000 characters; a longer paste keeps its head and its tail, where errors are.
MAX_CHARS = 48_000
HEAD_CHARS = 40_000
TAIL_CHARS = 8_000

# Slack syntax, fences and mojibake runs are found with plain string scans (str.find / split / one pass over the
# characters), no regex: each character is looked at a bounded number of times whatever the paste holds (issue 14:
# no backtracking engine on user text, and RE2's Python wrapper costs ~50 us per match, too slow for '<x>'*N).
_SLACK_TOKEN_MAX = 2000  # an angle-bracket token longer than a URL line is not Slack syntax
_FENCE = "```"
_TAG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def to_text(data: str | bytes) -> str:
    """Decode bytes as UTF-8, replacing what is not (binary junk becomes replacement characters)."""
    if isinstance(data, bytes):
        return data.decode("utf-8", errors="replace")
    return data


def _slack_token(body: str) -> str | None:
    """The readable form of one `<body>` token, or None to keep it as typed."""
    if body[:1] in "!@#":
        # <!channel>, <!here|here>, <@U123>, <#C123|general>, <!subteam^S1|@team>: keep the readable part only.
        label = body.split("|", 1)[1] if "|" in body else body[1:]
        return label if label[:1] in "@#" else ("@" + label if body[0] != "#" else "#" + label)
    target, _, label = body.partition("|")
    if label:
        return label
    if target.startswith("mailto:"):
        return target[len("mailto:"):]
    if "://" in target or target.startswith("tel:"):
        return target
    # Not Slack syntax: a literal <...> that someone typed (e.g. <user@example.com> in an SMTP transcript).
    return None


def _undo_slack_tokens(text: str) -> str:
    """Replace each `<body>` (no `<`, `>` or newline inside) by its readable form, in one left-to-right pass.

    For each `>`, only the last `<` before it can open a token, so every character is visited a bounded number of
    times (str.find / str.rfind over disjoint ranges).
    """
    if "<" not in text or ">" not in text:
        return text
    out: list[str] = []
    pos = 0
    while True:
        open_ = text.find("<", pos)
        if open_ < 0:
            break
        close = text.find(">", open_)
        if close < 0:
            break
        open_ = text.rfind("<", pos, close)
        if open_ >= 0:
            body = text[open_ + 1:close]
            readable = (_slack_token(body) if body and "\n" not in body and len(body) <= _SLACK_TOKEN_MAX
                        else None)
            if readable is not None:
                out.append(text[pos:open_])
                out.append(readable)
                pos = close + 1
                continue
        out.append(text[pos:close + 1])
        pos = close + 1
    out.append(text[pos:])
    return "".join(out)


def _drop_fences(text: str) -> str:
    """Each ``` becomes a newline; a language tag right after it ("```python") goes too when the line ends there,
    so "```535 5.7.8…" keeps its reply code."""
    if _FENCE not in text:
        return text
    parts = text.split(_FENCE)
    for index in range(1, len(parts)):
        part = parts[index]
        end = part.find("\n", 0, 64)
        if end > 0:
            tag = part[:end].rstrip(" \t")
            if (tag and len(tag) <= 20 and tag[0].isascii() and tag[0].isalpha() and set(tag) <= _TAG_CHARS
                    and set(part[len(tag):end]) <= {" ", "\t"}):
                parts[index] = part[end:]
    return "\n".join(parts)


# Mojibake: GBK/GB2312, Shift-JIS (cp932) or UTF-8 bytes that a tool decoded as Latin-1 or cp1252
# ("ÊÚÈ¨Âë" for 授权码). A run is characters that stand for bytes >= 0x80, with single ASCII 0x40-0x7E characters
# allowed between them (Shift-JIS trail bytes); it needs 4 such high characters and must decode cleanly to CJK,
# so European words (Größe, brûlée) stay. One pass, each run decoded a fixed number of times: linear in the text.
_CP1252 = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"
_HIGH = frozenset(chr(c) for c in range(0x80, 0x100)) | frozenset(_CP1252)
_TRAIL = frozenset(chr(c) for c in range(0x40, 0x7F))  # a Shift-JIS trail byte read as ASCII


@dataclass(frozen=True)
class _Run:
    start: int
    end: int
    text: str


def _mojibake_runs(text: str) -> list[_Run]:
    """Runs of high characters with single ASCII 0x40-0x7E characters between them, ending on at most one such
    character: one pass over the text. Runs with fewer than two high characters are never repaired, so they are
    not listed ('é ' * 20000 would otherwise make 20,000 of them)."""
    runs: list[_Run] = []
    n = len(text)
    i = 0
    while i < n:
        if text[i] not in _HIGH:
            i += 1
            continue
        j = i + 1
        high = 1
        while j < n:
            char = text[j]
            if char in _HIGH:
                j += 1
                high += 1
            elif char in _TRAIL:
                j += 1
                if j >= n or text[j] not in _HIGH:
                    break
            else:
                break
        if high >= 2:
            runs.append(_Run(i, j, text[i:j]))
        i = j
    return runs


def _cjk(char: str) -> bool:
    code = ord(char)
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x3000 <= code <= 0x30FF or 0xFF01 <= code <= 0xFF5E


def _han_or_kana(char: str) -> bool:
    code = ord(char)
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x3041 <= code <= 0x30FF


def _cjk_text(char: str) -> bool:
    """CJK, or what CJK text carries besides: ASCII, and the “”‘’·… punctuation GB2312 and Shift-JIS encode."""
    return _cjk(char) or char.isascii() or 0x2010 <= ord(char) <= 0x206F or char in "·×÷§¨°±"


def _decode_run(run: str, encodings: tuple[str, ...], min_cjk: int) -> tuple[str, str] | None:
    """(the CJK text a run stood for, its encoding), or None: only a clean decode made of CJK text counts."""
    raw = bytes(ord(c) if ord(c) < 256 else c.encode("cp1252")[0] for c in run)
    try:
        raw.decode("utf-8")
        encodings = ("utf-8",) if "utf-8" in encodings else ()  # valid UTF-8 is never re-read as GBK or Shift-JIS
    except UnicodeDecodeError:
        encodings = tuple(e for e in encodings if e != "utf-8")
    for encoding in encodings:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        cjk = sum(map(_cjk, text))
        words = sum(map(_han_or_kana, text))
        if (words >= min_cjk or 0 < cjk >= min_cjk == 1) and 2 * cjk >= len(text) and all(map(_cjk_text, text)) \
                and _common(text, encoding):
            return text, encoding
    return None


# Lead bytes of the common half of each character set: GB2312 level-1 hanzi (B0-D7, the 3,755 most used) and
# Shift-JIS kana and JIS level-1 kanji (81-9F). Real messages are made of these; Latin noise mostly is not.
_COMMON_LEAD = {"gb2312": (0xB0, 0xD7), "gbk": (0xB0, 0xD7), "cp932": (0x81, 0x9F)}


def _common(text: str, encoding: str) -> bool:
    if encoding == "utf-8":
        return True
    low, high = _COMMON_LEAD[encoding]
    leads = [c.encode(encoding)[0] for c in text if _han_or_kana(c)]
    return 4 * sum(low <= lead <= high for lead in leads) >= 3 * len(leads)


def repair_mojibake(text: str) -> str:
    """Undo CJK text that arrived decoded as Latin-1/cp1252; runs that do not decode cleanly to CJK stay as they are.

    Runs of 4+ high characters are tried in every encoding; once one is repaired, shorter runs (a single CJK
    character, "の" or "）") are read in that same encoding. Two passes over the runs: linear in the text."""
    if text.isascii() or _HIGH.isdisjoint(text):
        return text
    runs = _mojibake_runs(text)
    fixes: dict[int, tuple[str, int]] = {}
    found: tuple[str, ...] = ()
    for strict in (True, False):
        for index, match in enumerate(runs):
            run = match.text
            high = sum(char in _HIGH for char in run)
            if index in fixes or high < (4 if strict else 2) or (not strict and not found):
                continue
            # A trailing ASCII character is either a Shift-JIS trail byte or plain text: try both.
            for candidate in (run, run[:-1]) if run[-1].isascii() else (run,):
                decoded = _decode_run(candidate, found or ("utf-8", "gb2312", "cp932", "gbk"), 2 if strict else 1)
                if decoded is not None:
                    fixes[index] = (decoded[0], len(candidate))
                    found = found or (decoded[1],)
                    break
    if not fixes:
        return text
    out: list[str] = []
    last = 0
    for index, match in enumerate(runs):
        if index in fixes:
            fixed, length = fixes[index]
            out += (text[last:match.start], fixed)
            last = match.start + length
    return "".join(out) + text[last:]


def normalize(data: str | bytes) -> str:
    """Plain text for extraction: Slack syntax undone, entities decoded, fences dropped, size capped."""
    text = to_text(data)
    text = keep_ends(text, head=HEAD_CHARS, tail=TAIL_CHARS)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _undo_slack_tokens(text)
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    text = _drop_fences(text)
    return strip_controls(repair_mojibake(text)).replace("\ufffd", "")
