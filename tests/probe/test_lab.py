"""Integration: the probe against a real Postfix with Dovecot SASL on loopback (scripts/lab/postfix-lab.sh).

The lab starts once per session and stops at the end. Two more "servers" are plain sockets held by the
fixture: one listens and never accepts its queue (no greeting ever), one has a full backlog (connect
time-out). Each test asserts the findings the diagnosis would receive.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.kb import load_knowledge_base
from bot.probe import ProbeReport, run_probe
from tests.services import full_backlog_listener, start_postfix_lab, stop_postfix_lab

pytestmark = pytest.mark.integration



@dataclass
class Lab:
    ports: dict[str, int]
    ca: str
    user: str
    password: str


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    if os.geteuid() != 0 or not shutil.which("postfix") or not shutil.which("dovecot"):
        pytest.skip("the Postfix lab needs root and the postfix + dovecot-core packages (make system)")
    base = 10000 + (os.getpid() % 30) * 700
    try:
        directory, fields = start_postfix_lab(base)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # never accept(): the kernel completes the handshake, nobody ever speaks
    backlog, fillers = full_backlog_listener()
    ports = {k: int(v) for k, v in fields.items() if v.isdigit()}
    ports["silent"] = silent.getsockname()[1]
    ports["noaccept"] = backlog.getsockname()[1]
    try:
        yield Lab(ports=ports, ca=fields["ca"], user=fields["user"], password=fields["password"])
    finally:
        for s in [silent, backlog, *fillers]:
            s.close()
        stop_postfix_lab(directory)


async def probe(lab: Lab, target: str, mapping: dict[int, str], **kw: Any) -> ProbeReport:
    return await run_probe(
        target,
        allow_networks=(ipaddress.ip_network("127.0.0.0/8"),),
        ca_file=lab.ca,
        port_map={port: lab.ports[name] for port, name in mapping.items()},
        timeout_s=5,
        step_timeout_s=1.5,
        connect_timeout_s=1.0,
        **kw,
    )


def causes(report: ProbeReport) -> set[str]:
    return {f.cause for f in report.findings}


async def test_all_four_ports_at_once(lab: Lab) -> None:
    report = await probe(lab, "127.0.0.1", {25: "plain", 465: "implicit", 587: "starttls", 2525: "greet421"})
    by_port = {p.port: p for p in report.ports}
    assert by_port[25].status == "ok"
    assert by_port[25].tls == "none"
    assert by_port[25].auth_mechanisms == ()
    assert by_port[465].status == "ok"
    assert by_port[465].tls == "implicit"
    assert by_port[465].cert.trusted
    assert by_port[587].tls == "starttls"
    assert by_port[587].auth_before_tls == ()
    assert set(by_port[587].auth_after_tls) == {"PLAIN", "LOGIN"}
    assert by_port[2525].greeting_code == 421
    assert {"tls_mismatch", "provider_outage"} <= causes(report)


async def test_plain_port_has_no_auth(lab: Lab) -> None:
    report = await probe(lab, "127.0.0.1:25", {25: "plain"})
    p = report.ports[0]
    assert p.status == "ok"
    assert "auth" not in p.extensions
    assert "starttls" not in p.extensions
    assert report.findings == ()


async def test_submission_auth_only_after_starttls(lab: Lab) -> None:
    report = await probe(lab, "127.0.0.1:587", {587: "starttls"})
    assert "tls_mismatch" in causes(report)
    assert any("only after STARTTLS" in f.detail for f in report.findings)


async def test_implicit_tls_with_good_credentials(lab: Lab) -> None:
    report = await probe(lab, "127.0.0.1:465", {465: "implicit"}, credentials=(lab.user, lab.password))
    p = report.ports[0]
    assert p.auth is not None
    assert p.auth.ok
    assert p.auth.code == 235
    assert report.findings == ()


async def test_the_dialogue_against_postfix_never_shows_the_credentials(lab: Lab) -> None:
    """-v and the report's dialogue against real Postfix + Dovecot SASL: the session in order, AUTH redacted.
    (Before the wrong-password test: Dovecot delays every AUTH from an address that just failed one.)"""
    import base64

    streamed: list[tuple[int, str]] = []
    report = await probe(lab, "127.0.0.1", {587: "starttls", 465: "implicit"}, ports=[587, 465],
                         credentials=(lab.user, lab.password), on_dialogue=lambda p, line: streamed.append((p, line)))
    secrets = (lab.password, base64.b64encode(f"\0{lab.user}\0{lab.password}".encode()).decode(),
               base64.b64encode(lab.password.encode()).decode())
    for p in report.ports:
        assert p.auth is not None
        assert p.auth.ok, p
        own = [line for port, line in streamed if port == p.port]
        assert own[: len(p.dialogue)] == list(p.dialogue)
        assert "-> AUTH PLAIN [redacted]" in p.dialogue
        assert any(line.startswith("<- 235") for line in p.dialogue)
        assert any(line.startswith("== TLS established: TLSv1.") for line in p.dialogue)
    text = repr(report.to_dict()) + repr(streamed)
    for secret in secrets:
        assert secret not in text


async def test_wrong_password_is_bad_credentials(lab: Lab) -> None:
    report = await probe(lab, "127.0.0.1:587", {587: "starttls"}, credentials=(lab.user, "not-the-Pa55"),
                         providers=load_knowledge_base())
    p = report.ports[0]
    assert p.auth is not None
    assert not p.auth.ok
    assert p.auth.code == 535
    assert "bad_credentials" in causes(report)
    assert "not-the-Pa55" not in repr(report.to_dict())


async def test_self_signed_certificate(lab: Lab) -> None:
    report = await probe(lab, "127.0.0.1:465", {465: "selfsigned"})
    p = report.ports[0]
    assert p.cert is not None
    assert not p.cert.trusted
    assert p.cert.error == "self-signed certificate"
    assert "tls_handshake_failure" in causes(report)


async def test_421_greeting(lab: Lab) -> None:
    report = await probe(lab, "127.0.0.1:587", {587: "greet421"})
    assert report.ports[0].greeting_code == 421
    assert causes(report) == {"provider_outage"}


async def test_plaintext_postfix_on_465(lab: Lab) -> None:
    report = await probe(lab, "127.0.0.1:465", {465: "plain"})
    assert report.ports[0].wrong_mode == "plaintext_on_implicit"
    assert "tls_mismatch" in causes(report)


async def test_implicit_tls_postfix_on_587(lab: Lab) -> None:
    report = await probe(lab, "127.0.0.1:587", {587: "implicit"})
    assert report.ports[0].wrong_mode == "tls_on_starttls_port"
    assert "tls_mismatch" in causes(report)


async def test_server_that_never_greets(lab: Lab) -> None:
    report = await probe(lab, "127.0.0.1:587", {587: "silent"})
    p = report.ports[0]
    assert p.status == "timeout"
    assert p.stage == "greeting"
    assert causes(report) == {"network_blocked"}


async def test_server_that_never_accepts(lab: Lab) -> None:
    report = await probe(lab, "127.0.0.1:587", {587: "noaccept"})
    p = report.ports[0]
    assert p.status == "timeout"
    assert p.stage == "connect"
    assert causes(report) == {"network_blocked"}


async def test_every_port_timing_out_is_network_blocked(lab: Lab) -> None:
    report = await probe(
        lab, "127.0.0.1", {25: "noaccept", 465: "noaccept", 587: "noaccept", 2525: "noaccept"}
    )
    assert [p.status for p in report.ports] == ["timeout"] * 4
    assert causes(report) == {"network_blocked"}
