"""`smtp-help probe -v` and the terminal progress: the dialogue as it happens, progress only on a terminal."""

from __future__ import annotations

import asyncio
import base64
import io
import os
import pty
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP

from bot.probe import run_probe
from bot.probe.dialogue import for_host
from bot.render.live import PortProgress, VerboseLines, stage_of
from tests.probe.conftest import PASSWORD, USER, Certs, Handler, ServerFactory, _authenticator

ROOT = str(Path(__file__).resolve().parents[2])
CLI = [sys.executable, "-m", "bot", "probe"]


def _env(certs: Certs, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SMTP_HELP_", "PROBE_"))}
    env.update({"PROBE_ALLOW_NETWORKS": "127.0.0.0/8", "PROBE_TIMEOUT": "5", "SSL_CERT_FILE": certs.ca_file})
    env.update(extra)
    return env


@pytest.fixture
async def port_2525(certs: Certs) -> AsyncIterator[Certs]:
    try:
        server = await asyncio.get_running_loop().create_server(
            lambda: SMTP(Handler(), hostname="mail.lab.test", tls_context=certs.good, authenticator=_authenticator,
                         auth_require_tls=True),
            "127.0.0.1",
            2525,
        )
    except OSError:
        pytest.skip("127.0.0.1:2525 is busy")
    yield certs
    server.close()


async def _run(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *CLI, *args, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=env, cwd=ROOT,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_verbose_prints_the_dialogue_in_order_before_the_report_with_auth_redacted(port_2525: Certs) -> None:
    env = _env(port_2525, SMTP_HELP_PROBE_USER=USER, SMTP_HELP_PROBE_PASSWORD=PASSWORD)
    code, out, err = await _run("127.0.0.1:2525", "-v", "--auth", env=env)
    assert code in (0, 1), err
    lines = out.splitlines()
    wanted = ["== connected to 127.0.0.1 port 2525", "<- 220 ", "-> EHLO ", "<- 250-", "-> STARTTLS", "<- 220 ",
              "== TLS established: TLSv1.", "-> EHLO ", "-> AUTH PLAIN [redacted]", "<- 235 ", "-> QUIT",
              "== done: ok", "Probe of 127.0.0.1:2525"]
    at = 0
    for want in wanted:  # one port: no [port] label; the report comes after the dialogue
        at = next(i for i in range(at, len(lines)) if lines[i].startswith(want)) + 1
    assert lines[lines.index("== done: ok") + 1] == ""  # one blank line between the dialogue and the report
    secrets = (PASSWORD, base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode())
    for secret in secrets:
        assert secret not in out
        assert secret not in err
    assert "\x1b" not in out


async def test_verbose_with_json_keeps_stdout_json_and_the_dialogue_on_stderr(port_2525: Certs) -> None:
    _code, out, err = await _run("127.0.0.1:2525", "-v", "--json", env=_env(port_2525))
    import json

    doc = json.loads(out)
    assert doc["ports"][0]["dialogue"][0].startswith("== connected to 127.0.0.1")
    assert "-> STARTTLS" in err


async def test_a_pipe_gets_the_report_only(port_2525: Certs) -> None:
    _code, out, _err = await _run("127.0.0.1:2525", env=_env(port_2525))
    assert out.startswith("Probe of 127.0.0.1:2525")
    assert "\x1b" not in out
    assert "probing" not in out
    assert "->" not in out


async def test_a_terminal_shows_progress_per_port_then_the_report(port_2525: Certs) -> None:
    master, slave = pty.openpty()
    proc = await asyncio.create_subprocess_exec(
        *CLI, "127.0.0.1:2525", stdin=asyncio.subprocess.DEVNULL, stdout=slave,
        stderr=asyncio.subprocess.PIPE, env=_env(port_2525), cwd=ROOT,
    )
    os.close(slave)
    chunks: list[bytes] = []
    loop = asyncio.get_running_loop()

    def read_all() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                return
            if not data:
                return
            chunks.append(data)

    reader = loop.run_in_executor(None, read_all)
    await asyncio.wait_for(proc.wait(), 30)
    await asyncio.wait_for(reader, 10)
    os.close(master)
    raw = b"".join(chunks).decode("utf-8", "replace")
    assert "probing 127.0.0.1:2525" in raw
    for stage in ("2525  connecting", "2525  waiting for the greeting", "2525  STARTTLS", "2525  TLSv1.", "2525  ok"):
        assert stage in raw, stage
    assert "\x1b[2K" in raw
    report_at = raw.index("Probe of 127.0.0.1:2525")
    assert raw.rindex("probing") < report_at  # the progress is erased before the report
    assert "\x1b" not in raw[report_at:]


async def test_concurrent_ports_are_labelled_and_each_port_keeps_its_order(
    smtp_server: ServerFactory, probe_kwargs: dict[str, Any]
) -> None:
    a, b = await smtp_server("plain"), await smtp_server("implicit")
    out = io.StringIO()
    report = await run_probe("127.0.0.1", ports=[587, 465], port_map={587: a, 465: b},
                             on_dialogue=VerboseLines(out, labelled=True), **probe_kwargs)
    lines = out.getvalue().splitlines()
    assert {line.split(" ", 1)[0] for line in lines} == {"[587]", "[465]"}
    for p in report.ports:
        own = [line.split(" ", 1)[1] for line in lines if line.startswith(f"[{p.port}]")]
        assert own[: len(p.dialogue)] == list(p.dialogue)
        assert own[-1] == "== done: ok"


def test_progress_redraws_in_place_and_clears() -> None:
    out = io.StringIO()
    progress = PortProgress(out, "mail.example.com", (25, 587))
    progress.draw()
    progress(587, "== connected to 192.0.2.1 port 587")
    progress(587, "<- 220 mail ESMTP")  # no new stage: no redraw
    progress(25, "== done: refused (connection refused)")
    assert progress.state == {25: "refused (connection refused)", 587: "waiting for the greeting"}
    written = out.getvalue()
    assert written.count("\x1b[3A") == 2  # two redraws, each moving up over the three lines drawn before
    progress.clear()
    assert out.getvalue().endswith("\x1b[3A")
    assert progress.drawn == 0


def test_stage_of_reads_the_dialogue() -> None:
    assert stage_of("-> EHLO probe.example") == "EHLO"
    assert stage_of("-> AUTH PLAIN [redacted]") == "AUTH"
    assert stage_of("<- 250-PIPELINING") is None
    assert stage_of("== connected to 192.0.2.1 port 465, TLS handshake") == "TLS handshake"
    assert stage_of("== TLS established: TLSv1.3 TLS_AES_256_GCM_SHA384") == "TLSv1.3"
    assert stage_of("== no greeting within the time-out") == "no greeting within the time-out"


def test_server_text_reaches_the_terminal_without_control_characters() -> None:
    out = io.StringIO()
    VerboseLines(out, labelled=False)(25, "<- 220 \x1b[31mred\x1b]0;title\x07 \u202eevil")
    progress = PortProgress(out, "x\x1b[2Jy", (25,))
    progress(25, "== \x1b[2Jwiped")
    text = out.getvalue()
    for ch in ("\x07", "\u202e", "\x1b[31m", "\x1b[2J", "\x1b]0"):
        assert ch not in text


def test_another_hosts_port_25_stays_apart_from_the_targets() -> None:
    seen: list[tuple[int | str, str]] = []
    mx = for_host(lambda port, line: seen.append((port, line)), "mx1.example.com")
    assert mx is not None
    mx(25, "-> EHLO x")
    assert seen == [("mx1.example.com:25", "-> EHLO x")]
    assert for_host(None, "mx1.example.com") is None
    out = io.StringIO()
    progress = PortProgress(out, "example.com", (25, 587))
    progress("mx1.example.com:25", "== connected to 192.0.2.25 port 25")
    progress(25, "-> EHLO probe")
    assert progress.lines()[1:] == ["                  25  EHLO", "                 587  connecting",
                                    "  mx1.example.com:25  waiting for the greeting"]
    verbose = io.StringIO()
    VerboseLines(verbose, labelled=True)("mx1.example.com:25", "<- 220 mx1\x1b[2J")
    assert verbose.getvalue() == "[mx1.example.com:25] <- 220 mx1[2J\n"
