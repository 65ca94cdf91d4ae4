"""The console: a multi-paragraph paste is one paste; a bare /help needs one Enter. Through a real pty.

The terminal tests drive bot.commands.console.PasteReader on the slave side of pty.openpty() in the mode the console
sets (non-canonical, no echo), writing to the master what a terminal sends: bracketed paste markers, one burst for
terminals without them, keys typed one by one. The end-to-end tests run `python -m bot console` on a pty and on a pipe.
"""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.commands.console import HELP, PASTE_END, PASTE_START, PasteReader, raw_terminal, read_piped
from bot.diagnose import diagnose
from bot.kb import KnowledgeBase
from bot.render.text import render_text

ROOT = Path(__file__).resolve().parents[2]

PHPMAILER_PASTE = """Our contact form stopped sending this morning. PHPMailer debug output:

2026-11-30 09:12:01 SERVER -> CLIENT: 220 smtp.gmail.com ESMTP a1-20020a170906 - gsmtp
2026-11-30 09:12:01 CLIENT -> SERVER: EHLO www.example.com
2026-11-30 09:12:01 SERVER -> CLIENT: 250-smtp.gmail.com at your service
2026-11-30 09:12:01 CLIENT -> SERVER: STARTTLS
2026-11-30 09:12:01 SERVER -> CLIENT: 220 2.0.0 Ready to start TLS
2026-11-30 09:12:02 CLIENT -> SERVER: AUTH LOGIN
2026-11-30 09:12:02 SERVER -> CLIENT: 535-5.7.8 Username and Password not accepted. For more information, go to
2026-11-30 09:12:02 SERVER -> CLIENT: 535 5.7.8  https://support.google.com/mail/?p=BadCredentials a1-20020a170906
2026-11-30 09:12:02 SMTP ERROR: Password command failed: 535-5.7.8 Username and Password not accepted.


Settings: Host smtp.gmail.com, Port 587, SMTPSecure tls, Username shop@example.com"""

POSTFIX_PASTE = """Mail from the web server to customers bounces, from /var/log/mail.log:

Nov 30 09:20:11 web1 postfix/smtp[2231]: connect to mx.example.net[203.0.113.25]:25: Connection timed out

Nov 30 09:20:41 web1 postfix/smtp[2231]: 4F1A2C0123: to=<alice@example.net>, relay=none, delay=30, status=deferred"""


@pytest.fixture
def term() -> Iterator[tuple[int, PasteReader, io.StringIO]]:
    """(master fd, a reader on the slave in the console's terminal mode, what it echoed)."""
    master, slave = pty.openpty()
    echoed = io.StringIO()
    with raw_terminal(slave, echoed):
        yield master, PasteReader(slave, echoed), echoed
    os.close(master)
    os.close(slave)


def _read(reader: PasteReader, master: int, timeout: float = 10.0) -> str | None:
    """read_paste() in a thread: a reader still waiting for more keys after `timeout` fails the test."""
    result: list[str | None] = []
    thread = threading.Thread(target=lambda: result.append(reader.read_paste()), daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        os.write(master, b"\x04")  # let it go
        thread.join(5)
        pytest.fail("read_paste() is still waiting for input")
    return result[0]


def _keys(text: str) -> bytes:
    """What a terminal sends for text: line ends as CR (the Enter key)."""
    return text.replace("\n", "\r").encode()


def test_bracketed_multi_paragraph_paste_then_enter_is_one_paste(term: tuple[int, PasteReader, io.StringIO]) -> None:
    master, reader, _ = term
    os.write(master, (PASTE_START + PHPMAILER_PASTE + PASTE_END).encode().replace(b"\n", b"\r") + b"\r")
    assert _read(reader, master) == PHPMAILER_PASTE
    os.write(master, (PASTE_START + POSTFIX_PASTE + "\n" + PASTE_END).encode().replace(b"\n", b"\r") + b"\r")
    assert _read(reader, master) == POSTFIX_PASTE


def test_paste_without_markers_arriving_in_one_burst_is_one_paste(term: tuple[int, PasteReader, io.StringIO]) -> None:
    master, reader, _ = term
    os.write(master, _keys(PHPMAILER_PASTE + "\n"))
    time.sleep(0.3)  # the burst is over; the user presses Enter on the empty line
    os.write(master, b"\r")
    assert _read(reader, master) == PHPMAILER_PASTE


def test_paste_arriving_in_chunks_within_the_burst_window(term: tuple[int, PasteReader, io.StringIO]) -> None:
    master, _, echoed = term
    reader = PasteReader(term[1].fd, echoed, burst_s=1.0)
    data = _keys(POSTFIX_PASTE + "\n")
    cut = data.index(b"\r\r") + 1  # the chunk ends right after the first paragraph's line end, before the blank line

    def terminal() -> None:
        os.write(master, data[:cut])
        time.sleep(0.1)
        os.write(master, data[cut:])
        time.sleep(1.5)
        os.write(master, b"\r")

    threading.Thread(target=terminal, daemon=True).start()
    assert _read(reader, master) == POSTFIX_PASTE


def test_last_line_without_newline_is_kept(term: tuple[int, PasteReader, io.StringIO]) -> None:
    master, reader, _ = term
    os.write(master, _keys(POSTFIX_PASTE))
    time.sleep(0.2)
    os.write(master, b"\r")  # ends the last line
    time.sleep(0.2)
    os.write(master, b"\r")  # Enter on the empty line sends
    assert _read(reader, master) == POSTFIX_PASTE


def test_bare_slash_command_needs_one_enter(term: tuple[int, PasteReader, io.StringIO]) -> None:
    master, reader, _ = term
    for key in "/help":
        os.write(master, key.encode())
    os.write(master, b"\r")
    assert _read(reader, master) == "/help"
    os.write(master, b"/quit\r")
    assert _read(reader, master) == "/quit"


def test_a_pasted_path_is_not_a_command(term: tuple[int, PasteReader, io.StringIO]) -> None:
    master, reader, _ = term
    os.write(master, b"/help\rfrom the docs: 535 5.7.8 Username and Password not accepted\r")
    time.sleep(0.2)
    os.write(master, b"\r")
    assert _read(reader, master) == "/help\nfrom the docs: 535 5.7.8 Username and Password not accepted"


def test_ctrl_d_sends_and_quits_at_an_empty_prompt(term: tuple[int, PasteReader, io.StringIO]) -> None:
    master, reader, _ = term
    os.write(master, b"535 5.7.8 Username and Password not accepted\r\rsecond paragraph\x04")
    assert _read(reader, master) == "535 5.7.8 Username and Password not accepted\n\nsecond paragraph"
    os.write(master, b"\x04")
    assert _read(reader, master) is None


def test_backspace_and_a_line_longer_than_the_tty_line_buffer(term: tuple[int, PasteReader, io.StringIO]) -> None:
    master, reader, echoed = term
    os.write(master, b"smtx\x7fp.example.com:587\r")
    time.sleep(0.2)
    os.write(master, b"\r")
    assert _read(reader, master) == "smtp.example.com:587"
    assert "\b \b" in echoed.getvalue()
    long_line = "DEBUG: " + "x" * 10_000 + " 535 5.7.8 Username and Password not accepted"
    os.write(master, (PASTE_START + long_line + PASTE_END + "\r").encode())
    assert _read(reader, master) == long_line  # a canonical-mode tty would cut it at 4,095 bytes


def test_piped_pastes_are_separated_by_two_blank_lines() -> None:
    text = PHPMAILER_PASTE + "\n\n\n\n" + POSTFIX_PASTE + "\n"
    assert list(read_piped(io.StringIO(text))) == [PHPMAILER_PASTE.split("\n\n\n")[0],
                                                   PHPMAILER_PASTE.split("\n\n\n")[1], POSTFIX_PASTE]
    assert list(read_piped(io.StringIO(POSTFIX_PASTE + "\n\n"))) == [POSTFIX_PASTE]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "REDIS_URL"))}
    env["PYTHONPATH"] = str(ROOT)
    return env


def test_console_on_a_pipe_answers_each_paste_once(kb: KnowledgeBase, tmp_path: Path) -> None:
    text = POSTFIX_PASTE + "\n\n\n/help\n\n\n" + PHPMAILER_PASTE.replace("\n\n\n", "\n\n") + "\n"
    result = subprocess.run([sys.executable, "-m", "bot", "console"], input=text, capture_output=True, text=True,
                            cwd=tmp_path, env=_env(), timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    expected = (render_text(diagnose(POSTFIX_PASTE, kb=kb), kb) + "\n" + HELP + "\n"
                + render_text(diagnose(PHPMAILER_PASTE.replace("\n\n\n", "\n\n"), kb=kb), kb) + "\n")
    assert result.stdout == expected


def _read_until(master: int, marker: str, timeout: float = 60.0) -> str:
    got = b""
    deadline = time.monotonic() + timeout
    while marker.encode() not in got:
        left = deadline - time.monotonic()
        assert left > 0, f"no {marker!r} in {got.decode(errors='replace')[-2000:]!r}"
        if select.select([master], [], [], left)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            got += chunk
    return got.decode(errors="replace")


def test_console_on_a_terminal(kb: KnowledgeBase, tmp_path: Path) -> None:
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "console"], stdin=slave, stdout=slave, stderr=slave,
                            cwd=tmp_path, env=_env())
    os.close(slave)
    try:
        banner = _read_until(master, "\x1b[?2004h> ")
        assert "\x1b[?2004h" in banner  # bracketed paste mode on
        assert "press Enter" in banner
        os.write(master, (PASTE_START + PHPMAILER_PASTE + PASTE_END).encode().replace(b"\n", b"\r") + b"\r")
        answer = _read_until(master, "\n> ")
        first = render_text(diagnose(PHPMAILER_PASTE, kb=kb), kb).splitlines()[0]
        assert answer.count(first) == 1
        os.write(master, b"/help\r")
        helped = _read_until(master, "\n> ")
        assert HELP.splitlines()[0] in helped.replace("\r\n", "\n")
        os.write(master, b"\x04")
        assert proc.wait(timeout=30) == 0
        assert "\x1b[?2004l" in _read_until(master, "\x1b[?2004l", timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
