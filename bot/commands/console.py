"""The local console: paste an error, read the reply. What `make run` starts without Slack credentials.

Like Hubot's shell adapter or Errbot's text backend: the same diagnosis and fix text the Slack app posts, in a
terminal. A paste is what people paste: many lines, blank lines between paragraphs included. Where it ends:

* on a terminal, the console reads keys itself (no canonical line buffer, so no 4,096-byte line limit) and turns
  on bracketed paste mode: everything between the terminal's paste markers is one paste, and Enter after it sends.
  Terminals without bracketed paste deliver a paste in one burst: a blank line that arrives while more input is
  already there is part of the paste; Enter on an empty line once the input has gone quiet sends it. Ctrl-D sends
  too (and quits at an empty prompt). A slash command typed alone (`/help`, `/quit`) runs on one Enter.
* from a pipe (`smtp-help console < log.txt`), pastes are separated by two blank lines in a row, or end of input.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import os
import select
import sys
from collections.abc import Iterator
from typing import TextIO

from bot.kb import KnowledgeBase
from bot.settings import Settings

__all__ = ["COMMANDS", "PasteReader", "add_arguments", "read_piped", "run"]

BANNER = """smtp-help console: paste an SMTP error, a log or your mail settings, then press Enter to send it.
Typed text (or a terminal without bracketed paste): Enter on an empty line sends; Ctrl-D also sends.
Blank lines inside a paste are kept. Commands: /help, /quit. Nothing you paste is stored; secrets are redacted.
"""
HELP = """Paste what you have: the error message, a log excerpt or stack trace, or the settings (host, port,
encryption, username). The more of the real text, the better the answer. A paste may run over many lines and
paragraphs: Enter on an empty line (or Ctrl-D) sends it. /quit or Ctrl-D at an empty prompt leaves.
"""
COMMANDS = {"/help": "help", "/?": "help", "/quit": "quit", "/exit": "quit", "/q": "quit"}
BARE_COMMANDS = {"help": "help", "?": "help", "quit": "quit", "exit": "quit"}

PROMPT, MORE = "> ", "… "
BURST_S = 0.05          # input arriving within this of the previous chunk belongs to the same paste
PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"
BRACKETED_ON, BRACKETED_OFF = "\x1b[?2004h", "\x1b[?2004l"
MAX_PASTE_CHARS = 1_000_000  # the diagnosis engine refuses more anyway; stop buffering there


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The console takes no arguments."""


def command_of(text: str) -> str | None:
    """'help' or 'quit' when the text is one of the console's commands, else None."""
    word = text.strip().lower()
    return COMMANDS.get(word) or BARE_COMMANDS.get(word)


def _plain_end(buf: str, pos: int) -> int:
    """Index of the first control character at or after pos (tab is plain text)."""
    for i in range(pos, len(buf)):
        ch = buf[i]
        if (ch < " " and ch != "\t") or ch == "\x7f":
            return i
    return len(buf)


class PasteReader:
    """Reads pastes from a terminal file descriptor already in non-canonical, no-echo mode (see `raw_terminal`),
    echoing what it accepts to `out`. `read_paste()` returns one paste, or None at end of input."""

    def __init__(self, fd: int, out: TextIO, *, burst_s: float = BURST_S) -> None:
        self.fd, self.out, self.burst_s = fd, out, burst_s
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buf, self._pos = "", 0   # read and decoded; self._buf[self._pos:] not yet looked at
        self._eof = False

    # -- input ------------------------------------------------------------------------------------------------
    def _pending(self) -> int:
        return len(self._buf) - self._pos

    def _fill(self, timeout: float | None) -> bool:
        """Read what is available (waiting up to `timeout`, None = until something comes); False when nothing."""
        if self._eof:
            return False
        self.out.flush()
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # the other end of a pty closed
            chunk = b""
        text = self._decoder.decode(chunk, final=not chunk)
        self._buf, self._pos = self._buf[self._pos:] + text, 0
        if not chunk:
            self._eof = True
            return bool(text)
        return True

    def _more_coming(self) -> bool:
        """Is more input already here, or arriving within the burst window?"""
        return self._pending() > 0 or self._fill(self.burst_s)

    def _take_escape(self) -> str:
        """The escape sequence at self._pos (consumed); a lone or unfinished ESC is dropped."""
        while True:
            buf, pos = self._buf, self._pos
            if self._pending() >= 2 and buf[pos + 1] == "[":
                for i in range(pos + 2, min(len(buf), pos + 32)):
                    if "\x40" <= buf[i] <= "\x7e":
                        self._pos = i + 1
                        return buf[pos:i + 1]
                if self._pending() < 32 and self._fill(self.burst_s):
                    continue
                self._pos = pos + 1
                return ""
            if self._pending() >= 2:
                size = 3 if buf[pos + 1] == "O" else 2
                self._pos = min(len(buf), pos + size)
                return buf[pos:self._pos]
            if not self._fill(self.burst_s):
                self._pos = pos + 1
                return ""

    # -- one paste --------------------------------------------------------------------------------------------
    def read_paste(self) -> str | None:
        lines: list[str] = []
        cur: list[str] = []
        size = 0
        in_paste = pasted = False
        echo = self.out.write

        def done() -> str | None:
            text = "\n".join([*lines, "".join(cur)] if cur else lines).strip("\n")
            return text if text.strip() else None

        while True:
            if not self._pending() and not self._fill(None):
                echo("\n")  # end of input: whatever was typed is the paste; nothing → None (leave)
                return done()
            end = _plain_end(self._buf, self._pos)
            if end > self._pos:
                run = self._buf[self._pos:end]
                self._pos = end
                cur.extend(run)
                echo(run)
                continue
            ch = self._buf[self._pos]
            self._pos += 1
            if ch == "\x1b":
                self._pos -= 1
                seq = self._take_escape()
                if seq == PASTE_START:
                    in_paste = pasted = True
                elif seq == PASTE_END:
                    in_paste = False
                continue  # other keys (arrows, function keys) do nothing here
            if ch == "\r" and self._pending() and self._buf[self._pos] == "\n":
                continue
            if ch in "\r\n":
                line = "".join(cur)
                cur.clear()
                size += len(line) + 1
                echo("\n")
                if in_paste:
                    lines.append(line)
                elif line.strip():
                    lines.append(line)
                    if len(lines) == 1 and line.lstrip().startswith("/") and command_of(line) \
                            and not self._more_coming():
                        return line.strip()
                    if pasted:  # Enter after a bracketed paste sends it, with anything typed after it
                        return done()
                elif not lines:
                    echo(PROMPT)
                    continue
                elif pasted or not self._more_coming():
                    return done()
                else:
                    lines.append("")  # a blank line inside a burst: part of the paste
                if size > MAX_PASTE_CHARS:
                    return done()
                echo(MORE)
            elif ch == "\x04":  # Ctrl-D: send; at an empty prompt, leave
                echo("\n")
                return done()
            elif ch in "\x7f\x08":
                if cur:
                    cur.pop()
                    echo("\b \b")
            elif ch == "\x15":  # Ctrl-U: forget the line being typed
                echo("\b \b" * len(cur))
                cur.clear()


def read_piped(stream: TextIO) -> Iterator[str]:
    """Pastes from a pipe: separated by two blank lines in a row (one blank line is part of a paste), or the end."""
    lines: list[str] = []
    blanks = 0
    for raw in stream:
        line = raw.rstrip("\r\n")
        if line.strip():
            if blanks and lines:
                lines.extend([""] * blanks)
            blanks = 0
            lines.append(line)
            continue
        blanks += 1
        if blanks >= 2 and lines:
            yield "\n".join(lines)
            lines, blanks = [], 0
    if lines:
        yield "\n".join(lines)


@contextlib.contextmanager
def raw_terminal(fd: int, out: TextIO) -> Iterator[None]:
    """Non-canonical, no-echo input (signals kept: Ctrl-C still interrupts) and bracketed paste, undone on exit."""
    import termios

    saved = termios.tcgetattr(fd)
    mode = termios.tcgetattr(fd)
    mode[3] &= ~(termios.ICANON | termios.ECHO)
    mode[6][termios.VMIN], mode[6][termios.VTIME] = 1, 0
    termios.tcsetattr(fd, termios.TCSANOW, mode)
    bracketed = out.isatty()
    if bracketed:
        out.write(BRACKETED_ON)
        out.flush()
    try:
        yield
    finally:
        if bracketed:
            out.write(BRACKETED_OFF)
            out.flush()
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _answer(paste: str, kb: KnowledgeBase, out: TextIO, settings: Settings | None = None) -> bool:
    """Answer one paste (or command); False when the user asked to leave. On a terminal the answer is bold and
    wrapped (bot.commands.tty), unless NO_COLOR."""
    from bot.commands.tty import styled
    from bot.diagnose import diagnose
    from bot.render.text import render_text

    command = command_of(paste)
    if command == "quit":
        return False
    if command == "help":
        out.write(HELP + "\n")
    else:
        out.write(styled(render_text(diagnose(paste, kb=kb), kb), out, settings or Settings()) + "\n")
    out.flush()
    return True


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Read pastes until /quit or end of input; answer each."""
    from bot.kb import load_knowledge_base

    kb = load_knowledge_base(settings.knowledge_dir)
    out = sys.stdout
    if not sys.stdin.isatty():
        for piped in read_piped(sys.stdin):
            if not _answer(piped, kb, out, settings):
                break
        return 0

    fd = sys.stdin.fileno()
    out.write(BANNER + "\n")
    with raw_terminal(fd, out):
        reader = PasteReader(fd, out)
        out.write(PROMPT)
        while True:
            paste = reader.read_paste()
            if paste is None or not _answer(paste, kb, out, settings):
                return 0
            out.write("\n" + PROMPT)
