"""The answer on a terminal (issue 12 §6): bold for the cause line and the step numbers on a TTY, none under NO_COLOR
(https://no-color.org) or into a pipe; wrapped to the terminal's width, code spans and URLs never broken. Run as a
user runs it: `smtp-help diagnose` with its stdout on a real pseudo-terminal (pty.openpty, a set window size), and
into a pipe."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from bot.diagnose import diagnose
from bot.kb import load_knowledge_base
from bot.kb.model import KnowledgeBase
from bot.render.text import BOLD, BOLD_OFF, for_terminal, render_text

ROOT = Path(__file__).resolve().parents[2]
EXE = Path(sys.executable).parent / "smtp-help"
if not EXE.exists():
    EXE = ROOT / ".venv" / "bin" / "smtp-help"

PASTE = ("2026-11-30 09:14:02 SMTP ERROR: Password command failed: 535 5.7.139 Authentication unsuccessful, "
         "SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more "
         "information. [AM0PR01CA0123.eurprd01.prod.exchangelabs.com]\nSMTP Error: Could not authenticate.")


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


def _env(**extra: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
            "LANG": "C.UTF-8", "SMTP_HELP_DOTENV": "0", **extra}


def _on_pty(args: list[str], *, columns: int, env: dict[str, str]) -> str:
    """Run smtp-help with stdout and stderr on a pseudo-terminal `columns` wide; what the terminal received."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    proc = subprocess.Popen([str(EXE), *args], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    chunks = []
    try:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed its end
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
        proc.wait(timeout=60)
    assert proc.returncode == 0
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def _piped(args: list[str], env: dict[str, str]) -> str:
    p = subprocess.run([str(EXE), *args], capture_output=True, env=env, timeout=60, check=True)
    return p.stdout.decode("utf-8")


def _unbreakable(line: str) -> bool:
    """A line that may run past the width: one word (a URL, a code span) or a table row / quoted dialogue line."""
    body = line.strip().removeprefix("- ")
    return " " not in body or "`" in line or "://" in line or "  " in line.strip()


def test_a_terminal_gets_bold_and_lines_that_fit(kb: KnowledgeBase) -> None:
    out = _on_pty(["diagnose", PASTE], columns=64, env=_env())
    first = out.splitlines()[0]
    assert first.startswith(BOLD + "Likely cause: ")
    assert first.endswith(BOLD_OFF)
    assert f"{BOLD}1.{BOLD_OFF} " in out
    assert f"{BOLD}2.{BOLD_OFF} " in out
    plain = out.replace(BOLD, "").replace(BOLD_OFF, "")
    assert "\x1b" not in plain  # no other escape than bold
    for line in plain.splitlines():
        assert len(line) <= 64 or _unbreakable(line), line
    assert "https://aka.ms/smtp_auth_disabled" in plain  # the URL whole, on one line
    # the words are the pipe's, only re-flowed
    assert plain.split() == _piped(["diagnose", PASTE], _env()).split()


@pytest.mark.parametrize("value", ["1", "0", "false", "yes please"])
def test_no_color_means_no_bold_whatever_its_value(value: str) -> None:
    out = _on_pty(["diagnose", PASTE], columns=64, env=_env(NO_COLOR=value))
    assert "\x1b" not in out
    assert out.startswith("Likely cause: ")
    assert max(len(line) for line in out.splitlines() if not _unbreakable(line)) <= 64  # still wrapped


def test_an_empty_no_color_is_unset(kb: KnowledgeBase) -> None:
    """no-color.org: NO_COLOR "when present and not an empty string"."""
    assert BOLD in _on_pty(["diagnose", PASTE], columns=80, env=_env(NO_COLOR=""))


def test_a_pipe_gets_the_plain_answer_unwrapped(kb: KnowledgeBase) -> None:
    out = _piped(["diagnose", PASTE], _env())
    assert "\x1b" not in out
    assert out == render_text(diagnose(PASTE, kb=kb), kb)
    assert max(len(line) for line in out.splitlines()) > 120  # nothing was wrapped


def test_wrapping_keeps_code_spans_urls_indents_and_tables() -> None:
    text = ("Likely cause: Password (basic) SMTP AUTH is switched off for this tenant and mailbox\n"
            "\n"
            "How to fix it:\n"
            "1. In Exchange Online PowerShell run "
            "`Set-CASMailbox -Identity user@example.com -SmtpClientAuthenticationDisabled $false` and wait.\n"
            "2. Read https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/authenticated-client-"
            "smtp-submission before you change the tenant.\n"
            "\n"
            "Evidence:\n"
            "  - a very long evidence line that goes on and on and on about the tenant and the mailbox settings\n"
            "\n"
            "The SMTP dialogue (it failed at AUTH):\n"
            "  ✗ auth           < 535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled")
    out = for_terminal(text, bold=False, width=50)
    lines = out.splitlines()
    assert "`Set-CASMailbox -Identity user@example.com -SmtpClientAuthenticationDisabled $false`" in out
    assert any(line.strip().startswith("https://learn.microsoft.com/") and line.strip().endswith("submission")
               for line in lines)
    assert "   before you change the tenant." in lines  # the step's hanging indent
    assert "    and on about the tenant and the mailbox" in lines  # the bullet's hanging indent
    assert "  ✗ auth           < 535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled" in lines
    assert out.split() == text.split()
    for line in lines:
        assert len(line) <= 50 or _unbreakable(line)
    assert for_terminal(text, bold=False, width=None) == text


def test_bold_only_on_the_headline_and_step_numbers() -> None:
    text = "Possibly: x\n\nHow to fix it:\n1. one\n12. twelve\n  - 3. not a step\nWhy: 4. not a step"
    out = for_terminal(text, bold=True, width=None)
    assert out.count(BOLD) == 3
    assert out.splitlines()[0] == f"{BOLD}Possibly: x{BOLD_OFF}"
    assert f"{BOLD}12.{BOLD_OFF} twelve" in out
