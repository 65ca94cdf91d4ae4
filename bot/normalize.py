"""Turn text as it really arrives (Slack-escaped, auto-linked, fenced, huge, binary) into plain text to read.

Slack sends `&lt;` `&gt;` `&amp;`, wraps host names and addresses as `<http://smtp.x.com|smtp.x.com>` and
`<mailto:a@b.com|a@b.com>`, and people paste inside code fences. Pure; no I/O.
"""

from __future__ import annotations

import re

from bot.text import strip_controls

__all__ = ["HEAD_CHARS", "MAX_CHARS", "TAIL_CHARS", "normalize", "to_text"]

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


def normalize(data: str | bytes) -> str:
    """Plain text for extraction: Slack syntax undone, entities decoded, fences dropped, size capped."""
    text = to_text(data)
    if len(text) > MAX_CHARS:
        text = text[:HEAD_CHARS] + "\n…\n" + text[-TAIL_CHARS:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SLACK_TOKEN.sub(_slack_token, text)
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    text = _FENCE.sub("\n", text)
    return strip_controls(text).replace("\ufffd", "")
