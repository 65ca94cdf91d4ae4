"""The dialogue recorder: what each port said, redacted and bounded, in the report and streamed as it happens."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

from aiosmtpd.smtp import SMTP

from bot.probe import ProbeReport, run_probe
from bot.probe.dialogue import MAX_LINE_CHARS, MAX_LINES, MAX_REPLY_LINES, REDACTED, Dialogue
from tests.probe.conftest import LAB_HOST, PASSWORD, USER, Certs, Handler, ServerFactory, _authenticator


def test_auth_plain_arguments_are_redacted() -> None:
    d = Dialogue(587)
    secret = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode())
    d.sent(b"AUTH", b"PLAIN", secret)
    d.reply(235, "2.7.0 Authentication successful")
    assert d.lines() == (f"-> AUTH PLAIN {REDACTED}", "<- 235 2.7.0 Authentication successful")


def test_every_line_after_a_334_challenge_is_redacted() -> None:
    d = Dialogue(587)
    user, password = base64.b64encode(USER.encode()), base64.b64encode(PASSWORD.encode())
    d.sent(b"AUTH", b"LOGIN", user)
    d.reply(334, "UGFzc3dvcmQ6")
    d.sent(password)
    d.reply(535, "5.7.8 Authentication credentials invalid")
    d.sent(b"AUTH", b"LOGIN")
    d.reply(334, "VXNlcm5hbWU6")
    d.sent(user)
    d.reply(334, "UGFzc3dvcmQ6")
    d.sent(password)
    d.reply(235, "ok")
    d.sent(b"QUIT")
    text = "\n".join(d.lines())
    assert user.decode() not in text
    assert password.decode() not in text
    assert d.lines().count(f"-> {REDACTED}") == 3
    assert f"-> AUTH LOGIN {REDACTED}" in d.lines()
    assert "-> AUTH LOGIN" in d.lines()
    assert d.lines()[-1] == "-> QUIT"  # after a non-334 reply the client speaks in the clear again


def test_multi_line_reply_reads_like_the_wire() -> None:
    d = Dialogue(25)
    d.reply(250, "mail.example.com\nPIPELINING\nSTARTTLS")
    assert d.lines() == ("<- 250-mail.example.com", "<- 250-PIPELINING", "<- 250 STARTTLS")


def test_bounds_on_lines_reply_lines_and_line_length() -> None:
    d = Dialogue(25)
    d.reply(250, "\n".join(f"EXT{i}" for i in range(1000)))
    d.sent("X" * 10_000)
    for _ in range(200):
        d.sent("NOOP")
    lines = d.lines()
    assert len(lines) == MAX_LINES + 1
    assert lines[-1].startswith("== … ")
    assert "not kept" in lines[-1]
    assert sum(1 for line in lines if line.startswith("<- 250")) == MAX_REPLY_LINES
    assert all(len(line) <= MAX_LINE_CHARS for line in lines)
    assert any("more line(s) of this reply" in line for line in lines)


def test_control_characters_never_reach_a_line() -> None:
    d = Dialogue(25)
    d.reply(220, "evil \x1b[2J\x1b]0;pwned\x07 ESMTP \u202eexe.txt\r\nINJECTED")
    for line in d.lines():
        assert not any(ord(c) < 32 or 127 <= ord(c) < 160 or c == "\u202e" for c in line), line


def test_sink_gets_each_kept_line_with_its_port_and_a_broken_sink_never_breaks_the_record() -> None:
    seen: list[tuple[int, str]] = []
    d = Dialogue(465, lambda port, line: seen.append((port, line)), max_lines=2)
    d.note("connected")
    d.sent(b"EHLO", b"x")
    d.sent(b"QUIT")  # over the cap: not kept, not streamed
    assert seen == [(465, "== connected"), (465, "-> EHLO x")]

    def broken(port: int, line: str) -> None:
        raise BrokenPipeError

    d2 = Dialogue(25, broken)
    d2.sent(b"EHLO", b"x")
    d2.end("ok")
    assert d2.lines() == ("-> EHLO x",)


async def test_a_real_session_is_recorded_in_order_with_tls_and_auth_redacted(
    smtp_server: ServerFactory, probe_kwargs: dict[str, Any]
) -> None:
    port = await smtp_server("plain")
    streamed: list[tuple[int, str]] = []
    report = await run_probe(
        "127.0.0.1:587",
        port_map={587: port},
        credentials=(USER, PASSWORD),
        on_dialogue=lambda p, line: streamed.append((p, line)),
        **probe_kwargs,
    )
    p = report.port(587)
    assert p is not None
    assert p.auth is not None
    assert p.auth.ok, p
    lines = list(p.dialogue)
    order = [
        "== connected to 127.0.0.1",
        "<- 220 ",
        "-> EHLO probe.smtp-help.invalid",
        "<- 250-",
        "-> STARTTLS",
        "<- 220 ",
        "== TLS established: TLSv1.",
        "-> EHLO probe.smtp-help.invalid",
        f"-> AUTH PLAIN {REDACTED}",
        "<- 235 ",
        "-> QUIT",
    ]
    at = 0
    for want in order:
        at = next(i for i in range(at, len(lines)) if lines[i].startswith(want)) + 1
    assert [line for _, line in streamed][: len(lines)] == lines  # streamed as recorded, in the same order
    assert streamed[-1] == (587, "== done: ok")
    doc = json.dumps(report.to_dict())
    for secret in (PASSWORD, base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()):
        assert secret not in doc
    assert ProbeReport.from_dict(report.to_dict()) == report


async def test_auth_login_is_redacted_against_a_real_server(certs: Certs, probe_kwargs: dict[str, Any]) -> None:
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(Handler(), hostname="mail.lab.test", tls_context=certs.good, authenticator=_authenticator,
                     auth_require_tls=True, auth_exclude_mechanism=["PLAIN"]),
        LAB_HOST, 0,
    )
    try:
        port = server.sockets[0].getsockname()[1]
        report = await run_probe("127.0.0.1:587", port_map={587: port}, credentials=(USER, PASSWORD),
                                 **probe_kwargs)
    finally:
        server.close()
    p = report.port(587)
    assert p is not None
    assert p.auth is not None
    assert p.auth.mechanism == "LOGIN"
    assert p.auth.ok, p
    assert f"-> AUTH LOGIN {REDACTED}" in p.dialogue
    assert f"-> {REDACTED}" in p.dialogue
    doc = json.dumps(report.to_dict())
    for secret in (PASSWORD, base64.b64encode(PASSWORD.encode()).decode(), base64.b64encode(USER.encode()).decode()):
        assert secret not in doc


async def test_refused_certificate_records_both_looks(
    smtp_server: ServerFactory, probe_kwargs: dict[str, Any], certs: Certs
) -> None:
    port = await smtp_server("plain", ctx=certs.untrusted)
    report = await run_probe("127.0.0.1:587", port_map={587: port}, **probe_kwargs)
    p = report.port(587)
    assert p is not None
    text = "\n".join(p.dialogue)
    assert "TLS failed during the TLS handshake after STARTTLS" in text
    assert "== certificate not accepted: a second look" in text
    assert text.count("-> STARTTLS") == 2
    assert "== TLS established" in text


async def test_silent_server_and_421_greeting(smtp_server: ServerFactory, probe_kwargs: dict[str, Any]) -> None:
    silent, refusing = await smtp_server("silent"), await smtp_server("greet421")
    report = await run_probe("127.0.0.1", ports=[25, 2525], port_map={25: silent, 2525: refusing}, **probe_kwargs)
    quiet, busy = report.port(25), report.port(2525)
    assert quiet is not None
    assert busy is not None
    assert "== no greeting within the time-out" in quiet.dialogue
    assert "<- 421 4.3.2 Service not available, closing channel" in busy.dialogue


async def test_wrong_mode_second_looks_are_noted(smtp_server: ServerFactory, probe_kwargs: dict[str, Any]) -> None:
    plain, tls = await smtp_server("plain"), await smtp_server("implicit")
    report = await run_probe("127.0.0.1", ports=[465, 587], port_map={465: plain, 587: tls}, **probe_kwargs)
    on_465, on_587 = report.port(465), report.port(587)
    assert on_465 is not None
    assert on_587 is not None
    assert on_465.dialogue[-1].startswith("== a second look without TLS: the server greets in plaintext: 220 ")
    assert on_587.dialogue[-1] == "== a second look with TLS from the first byte: the handshake succeeds"
