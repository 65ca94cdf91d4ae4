"""Escaping for Slack mrkdwn: the one place it is done.

Slack treats only `&`, `<` and `>` as control characters; escaping those three (and nothing else) is what stops
a paste, an SMTP banner or a certificate subject from becoming `<!channel>`, `<@U…>` or a disguised link.
"""

from __future__ import annotations

from bot import text as _text

__all__ = ["escape_mrkdwn", "strip_controls"]

_MRKDWN = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
strip_controls = _text.strip_controls  # a pinned public name; the one character set is bot/text.py


def escape_mrkdwn(text: str) -> str:
    """Escape &, < and > so Slack shows the text literally (no mentions, no links)."""
    return text.translate(_MRKDWN)

