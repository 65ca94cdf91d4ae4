"""Hostile servers stay bounded: each ends within the probe's budget, with a finding, no traceback, and nothing
unescaped reaching a terminal (-v lines, the text report) or Slack (the port table and the dialogue block).

Servers are raw asyncio servers on 127.0.0.1, in the test's own loop:
  tarpit        accepts and never greets
  drip          greets one byte a second
  endless       greets, then answers EHLO with "250-" lines forever
  longline      greets with a 10 MB line
  tls_stall     (465) reads the ClientHello and never answers it
  starttls_stall  says 220 to STARTTLS, then never answers the handshake
  escapes       greets and answers EHLO with ANSI escapes, OSC title sequences, bidi marks and Slack mentions
  *_465         the same in plaintext on 465: the TLS handshake fails, then the plaintext second look reads
"""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.probe import ProbeReport, run_probe
from bot.render.live import PortProgress, VerboseLines
from bot.render.slack.kit import MAX_MESSAGE_JSON
from bot.render.slack.probe import probe_blocks
from bot.render.text import render_probe
from tests.probe.conftest import LOOPBACK
from tests.tinykb import tiny_kb

BUDGET_S = 4.0
STEP_S = 1.0
HOSTILE = ("\x1b[2J\x1b[31mRED\x1b]0;pwned\x07 \u202eevil <!channel> <@U123> <!subteam^S1|x> "
           "<https://evil.example|fix> &amp;")
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _tarpit(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read()


async def _drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    for byte in b"220 slow.example ESMTP\r\n":
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(1.0)


async def _endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"220 endless.example ESMTP\r\n")
    await reader.readline()
    line = b"250-" + b"X" * 60 + b"\r\n"
    while True:
        writer.write(line * 200)
        await writer.drain()
        await asyncio.sleep(0)


async def _longline(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"220 " + b"A" * 10_000_000 + b"\r\n")
    await writer.drain()
    await reader.read()


async def _tls_stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read(4096)  # the ClientHello
    await asyncio.sleep(60)


async def _starttls_stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"220 stall.example ESMTP\r\n")
    while line := await reader.readline():
        if line.upper().startswith(b"EHLO"):
            writer.write(b"250-stall.example\r\n250 STARTTLS\r\n")
        elif line.upper().startswith(b"STARTTLS"):
            writer.write(b"220 2.0.0 go ahead\r\n")
            await writer.drain()
            await asyncio.sleep(60)  # the ClientHello is never answered
        await writer.drain()


async def _escapes(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(f"220 {HOSTILE}\r\n".encode())
    while line := await reader.readline():
        if line.upper().startswith(b"EHLO"):
            writer.write(f"250-{HOSTILE}\r\n250 AUTH PLAIN {HOSTILE}\r\n".encode())
        elif line.upper().startswith(b"QUIT"):
            writer.write(b"221 bye\r\n")
        else:
            writer.write(f"502 {HOSTILE}\r\n".encode())
        await writer.drain()


SERVERS: dict[str, tuple[Handler, int]] = {
    "tarpit": (_tarpit, 587),
    "drip": (_drip, 587),
    "endless": (_endless, 587),
    "longline": (_longline, 587),
    "tls_stall": (_tls_stall, 465),
    "starttls_stall": (_starttls_stall, 587),
    "escapes": (_escapes, 587),
    # on 465 the TLS handshake fails and the second look reads a plaintext line (limit 1 KB): bounded too
    "longline_465": (_longline, 465),
    "escapes_465": (_escapes, 465),
    "endless_465": (_endless, 465),
}


@pytest.fixture
async def hostile() -> AsyncIterator[Callable[[str], Awaitable[int]]]:
    servers: list[asyncio.base_events.Server] = []
    tasks: set[asyncio.Task[Any]] = set()

    async def start(kind: str) -> int:
        handler = SERVERS[kind][0]

        async def guarded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            tasks.add(asyncio.current_task())  # type: ignore[arg-type]
            try:
                await handler(reader, writer)
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(guarded, "127.0.0.1", 0)
        servers.append(server)
        port: int = server.sockets[0].getsockname()[1]
        return port

    yield start
    for s in servers:
        s.close()
    for t in tasks:
        t.cancel()


def _no_control(text: str) -> None:
    bad = [c for c in text if (ord(c) < 32 and c not in "\n\t") or 127 <= ord(c) < 160 or 0x202A <= ord(c) <= 0x202E]
    assert not bad, repr(bad[:5])


def _slack_safe(report: ProbeReport) -> None:
    blocks = probe_blocks(report, kb=tiny_kb())
    assert len(json.dumps(blocks)) <= MAX_MESSAGE_JSON
    for block in blocks:
        Block.parse(block).validate_json()
    dumped = json.dumps(blocks, ensure_ascii=False)
    for raw in ("<!channel>", "<@U123>", "<!subteam", "<https://evil", "\x1b", "\x07", "\u202e"):
        assert raw not in dumped


@pytest.mark.parametrize("kind", list(SERVERS))
async def test_hostile_server_ends_within_the_budget_with_a_finding_and_safe_output(
    kind: str, hostile: Callable[[str], Awaitable[int]]
) -> None:
    port = await hostile(kind)
    submission = SERVERS[kind][1]
    streamed = io.StringIO()
    progress_out = io.StringIO()
    progress = PortProgress(progress_out, "127.0.0.1", (submission,))
    verbose = VerboseLines(streamed, labelled=False)

    def both(p: int, line: str) -> None:
        verbose(p, line)
        progress(p, line)

    started = time.monotonic()
    report = await run_probe(
        f"127.0.0.1:{submission}", port_map={submission: port}, allow_networks=LOOPBACK,
        timeout_s=BUDGET_S, step_timeout_s=STEP_S, connect_timeout_s=STEP_S, on_dialogue=both,
    )
    elapsed = time.monotonic() - started
    assert elapsed < BUDGET_S + 0.5, elapsed
    p = report.port(submission)
    assert p is not None
    if kind == "escapes":
        assert p.status == "ok"
        assert p.greeting_code == 220
    else:
        assert p.status in ("timeout", "error"), p
        assert report.findings, report
    # nothing unescaped reaches a terminal ...
    text = render_probe(report)
    _no_control(text)
    _no_control(streamed.getvalue())
    for line in p.dialogue:
        _no_control(line)
        assert len(line) <= 200
    assert len(p.dialogue) <= 61
    if kind in ("endless", "longline"):
        assert p.dialogue[-1].startswith("== unreadable reply during ")
    if kind.endswith("_465"):
        assert "a second look without TLS: the server greets in plaintext: 220" in "\n".join(p.dialogue)
    progress_text = progress_out.getvalue().replace("\x1b[2K", "").replace("\r", "")
    for n in range(1, 5):
        progress_text = progress_text.replace(f"\x1b[{n}A", "")
    _no_control(progress_text)  # only the two sequences the progress display writes itself
    # ... or Slack
    _slack_safe(report)
    assert len(json.dumps(report.to_dict())) < 60_000


async def test_hostile_text_is_kept_readable_not_just_dropped(hostile: Callable[[str], Awaitable[int]]) -> None:
    port = await hostile("escapes")
    report = await run_probe("127.0.0.1:587", port_map={587: port}, allow_networks=LOOPBACK,
                             timeout_s=BUDGET_S, step_timeout_s=STEP_S, connect_timeout_s=STEP_S)
    p = report.port(587)
    assert p is not None
    assert "<!channel>" in (p.greeting_text or "")  # stored as plain text; each view escapes for its medium
    slack = json.dumps(probe_blocks(report, kb=tiny_kb()))
    assert "&lt;!channel&gt;" in slack
    assert "&amp;amp;" in slack


async def test_the_whole_budget_cuts_a_tarpit_even_with_long_step_time_outs(
    hostile: Callable[[str], Awaitable[int]]
) -> None:
    port = await hostile("drip")
    lines: list[str] = []
    started = time.monotonic()
    report = await run_probe("127.0.0.1:587", port_map={587: port}, allow_networks=LOOPBACK, timeout_s=2.0,
                             on_dialogue=lambda _p, line: lines.append(line))  # default steps: 5 s / 10 s
    assert time.monotonic() - started < 2.5
    p = report.port(587)
    assert p is not None
    assert p.status == "timeout"
    assert "time budget ran out during greeting" in (p.error or "")
    assert [f.cause for f in report.findings] == ["network_blocked"]
    assert lines[-1].startswith("== done: timeout")
