"""The SMTP dialogue of a transcript as lines for a view: one line per step, the failing step marked. Pure.

The terminal prints these lines as they are; Slack puts them in a code block (escaped). Each line is cut so a
long reply never pushes the table past a screen's width.
"""

from __future__ import annotations

from bot.transcript import Transcript

__all__ = ["STEP_LABELS", "dialogue_lines"]

STEP_LABELS = {"connect": "connect", "greeting": "greeting", "ehlo": "EHLO", "starttls": "STARTTLS",
               "tls": "TLS handshake", "auth": "AUTH", "mail": "MAIL FROM", "rcpt": "RCPT TO", "data": "DATA",
               "end_of_data": "end of data", "quit": "QUIT"}
WIDTH = 110


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def dialogue_lines(transcript: Transcript, *, limit: int = 8) -> list[str]:
    """`✗ AUTH  > AUTH LOGIN [credentials hidden]  < 535 5.7.8 …` for the steps that matter, failing one marked."""
    shown = transcript.trimmed(limit)
    lines = []
    if len(shown) < len(transcript.exchanges):
        lines.append(f"  … {len(transcript.exchanges) - len(shown)} earlier steps")
    for e in shown:
        mark = "✗" if e is transcript.failed else ("✓" if e.ok else "?")
        parts = [f"{mark} {STEP_LABELS.get(e.step, e.step):<13}"]
        if e.sent:
            parts.append(f"> {e.sent}")
        parts.append(f"< {e.reply}" if e.reply else "< (no reply)")
        lines.append(_cut("  ".join(parts), WIDTH))
    return lines
