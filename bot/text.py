"""Text made safe to keep, match and echo: the one set of characters every room drops. Pure.

A paste, an SMTP banner or a certificate name may carry control characters that steer a terminal, and
zero-width or bidirectional marks that make one string look like another (CVE-2021-42574, "Trojan Source").
normalize() drops them before extraction, the probe before it keeps server text, and every view before it echoes.
"""

from __future__ import annotations

__all__ = ["CONTROL_CHARS", "keep_ends", "strip_controls"]

# C0 controls except tab and newline, DEL, the C1 range, zero-width characters and marks (U+200B-U+200F),
# and the bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069).
CONTROL_CHARS: frozenset[int] = frozenset(
    [*range(0, 9), 11, 12, *range(14, 32), 127, *range(128, 160), *range(0x200B, 0x2010), *range(0x202A, 0x202F),
     *range(0x2066, 0x206A)]
)
_DROP = dict.fromkeys(CONTROL_CHARS)


def strip_controls(text: str) -> str:
    """Drop control, zero-width and bidi characters (keeps tab and newline)."""
    return text.translate(_DROP)


def keep_ends(text: str, *, head: int, tail: int, marker: str = "\n…\n") -> str:
    """The one way a paste is cut: its first `head` and last `tail` characters (errors sit at either end),
    joined by `marker`; unchanged when it fits. Used with the budgets of diagnosis (bot.normalize), of a
    triage thread's memory and of a stored feedback paste."""
    if len(text) <= head + tail:
        return text
    return (text[:head] if head else "") + marker + (text[-tail:] if tail else "")
