"""Turn text as it really arrives (Slack-escaped, auto-linked, fenced, huge, binary) into plain text to read.

Slack sends `&lt;` `&gt;` `&amp;`, wraps host names and addresses as `<http://smtp.x.com|smtp.x.com>` and
`<mailto:a@b.com|a@b.com>`, and people paste inside code fences. Pure; no I/O.
"""

from __future__ import annotations

import re

from bot.text import keep_ends, strip_controls

__all__ = ["HEAD_CHARS", "MAX_CHARS", "TAIL_CHARS", "normalize", "repair_mojibake", "to_text"]

# Slack's message limit is 40,000 characters; a longer paste keeps its head and its tail, where errors are.
MAX_CHARS = 48_000
HEAD_CHARS = 40_000
TAIL_CHARS = 8_000

# Angle-bracket tokens of Slack's own syntax. Bounded: a token is never longer than a URL line.
_SLACK_TOKEN = re.compile(r"<([^<>\n]{1,2000})>")
# A fence and its language tag ("```python"); a tag only counts when the line ends there, so "```535 5.7.8…"
# keeps its reply code.
_FENCE = re.compile(r"```(?:[a-zA-Z][a-zA-Z0-9_+-]{0,19}[ \t]*(?=\n))?")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def to_text(data: str | bytes) -> str:
    """Decode bytes as UTF-8, replacing what is not (binary junk becomes replacement characters)."""
    if isinstance(data, bytes):
        return data.decode("utf-8", errors="replace")
    return data


def _slack_token(match: re.Match[str]) -> str:
    body = match.group(1)
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
    return match.group(0)


# Mojibake: GBK/GB2312, Shift-JIS (cp932) or UTF-8 bytes that a tool decoded as Latin-1 or cp1252
# ("ÊÚÈ¨Âë" for 授权码). A run is characters that stand for bytes >= 0x80, with single ASCII 0x40-0x7E characters
# allowed between them (Shift-JIS trail bytes); it needs 4 such high characters and must decode cleanly to CJK,
# so European words (Größe, brûlée) stay. One pass, each run decoded a fixed number of times: linear in the text.
_CP1252 = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"
_HIGH = f"\u0080-\u00ff{_CP1252}"
_MOJIBAKE_RUN = re.compile(f"[{_HIGH}](?:[{_HIGH}]|[\x40-\x7e](?![\x40-\x7e]))*[\x40-\x7e]?")
_LATIN_HIGH = re.compile(f"[{_HIGH}]")


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
    if not _LATIN_HIGH.search(text):
        return text
    runs = list(_MOJIBAKE_RUN.finditer(text))
    fixes: dict[int, tuple[str, int]] = {}
    found: tuple[str, ...] = ()
    for strict in (True, False):
        for index, match in enumerate(runs):
            run = match.group(0)
            high = len(_LATIN_HIGH.findall(run))
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
            out += (text[last:match.start()], fixed)
            last = match.start() + length
    return "".join(out) + text[last:]


def normalize(data: str | bytes) -> str:
    """Plain text for extraction: Slack syntax undone, entities decoded, fences dropped, size capped."""
    text = to_text(data)
    text = keep_ends(text, head=HEAD_CHARS, tail=TAIL_CHARS)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SLACK_TOKEN.sub(_slack_token, text)
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    text = _FENCE.sub("\n", text)
    return strip_controls(repair_mojibake(text)).replace("\ufffd", "")
