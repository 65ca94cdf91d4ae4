"""How an answer is written to a terminal: bold and wrapped on a TTY, plain into a pipe or under NO_COLOR.

The I/O half of bot.render.text.for_terminal (which is pure): is the stream a terminal, how wide is it, did the user
ask for no colour (https://no-color.org: NO_COLOR set to any non-empty value, read by bot.settings).
"""

from __future__ import annotations

import shutil
from typing import TextIO

from bot.render.text import for_terminal
from bot.settings import Settings

__all__ = ["styled"]


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


def styled(text: str, stream: TextIO, settings: Settings) -> str:
    """`text` (bot.render.text.render_text) as it should go to `stream`: on a terminal, wrapped to its width and
    with bold (unless NO_COLOR); into a pipe or a file, unchanged."""
    if not _is_tty(stream):
        return text
    width = shutil.get_terminal_size((80, 24)).columns
    return for_terminal(text, bold=not settings.no_color, width=width)
