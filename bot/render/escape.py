"""Escaping for Slack mrkdwn: the one place it is done.

Slack treats only `&`, `<` and `>` as control characters; escaping those three (and nothing else) is what stops
a paste, an SMTP banner or a certificate subject from becoming `<!channel>`, `<@U…>` or a disguised link.
"""

from __future__ import annotations

__all__ = ["escape_mrkdwn", "strip_controls"]

_MRKDWN = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# C0 controls except tab and newline, DEL, and the C1 range: a hostile server or paste should not steer a terminal.
_CONTROLS = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32), 127, *range(128, 160)])


def escape_mrkdwn(text: str) -> str:
    """Escape &, < and > so Slack shows the text literally (no mentions, no links)."""
    return text.translate(_MRKDWN)


def strip_controls(text: str) -> str:
    """Drop control characters (keeps tab and newline), for text echoed to a terminal or to Slack."""
    return text.translate(_CONTROLS)
