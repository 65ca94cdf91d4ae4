"""The local console: paste an error, read the reply. What `make run` starts without Slack credentials.

Like Hubot's shell adapter or Errbot's text backend: the same diagnosis and fix text the Slack app posts,
in a terminal. A paste may span many lines; an empty line (or end of input) sends it.
"""

from __future__ import annotations

import argparse
import sys

from bot.diagnose import diagnose
from bot.kb import load_knowledge_base
from bot.render.text import render_text
from bot.settings import Settings

__all__ = ["add_arguments", "run"]

BANNER = """smtp-help console: paste an SMTP error or your mail settings, then press Enter on an empty line.
Commands: /help, /quit. Nothing you paste is stored; secrets are redacted in every reply.
"""
HELP = """Paste what you have: the error message, a log excerpt or stack trace, or the settings (host, port,
encryption, username). The more of the real text, the better the answer. /quit or Ctrl-D leaves.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The console takes no arguments."""


def _read_paste(interactive: bool) -> str | None:
    lines: list[str] = []
    while True:
        try:
            line = input("> " if not lines else "… ") if interactive else sys.stdin.readline()
        except EOFError:
            line = None
        if line is None or (not interactive and line == ""):
            return "\n".join(lines) if lines else None
        line = line.rstrip("\n")
        if not line.strip():
            if lines:
                return "\n".join(lines)
            continue
        lines.append(line)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Read pastes until /quit or end of input; answer each."""
    kb = load_knowledge_base(settings.knowledge_dir)
    interactive = sys.stdin.isatty()
    if interactive:
        print(BANNER)
    while True:
        paste = _read_paste(interactive)
        if paste is None:
            return 0
        command = paste.strip().lower()
        if command in ("/quit", "/exit", "quit", "exit"):
            return 0
        if command in ("/help", "help", "?"):
            print(HELP)
            continue
        print(render_text(diagnose(paste, kb=kb), kb))
        sys.stdout.flush()
