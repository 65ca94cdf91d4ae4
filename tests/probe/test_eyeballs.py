"""Every address of a host (RFC 8305 Happy Eyeballs): IPv6 first, IPv4 after 250 ms or at once when IPv6 fails,
a result per address, and "IPv6 broken, IPv4 fine" as a finding. Dual-stack servers on ::1 and 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP

from bot.errors import TargetNotAllowed
from bot.probe import ProbeReport, run_probe
from bot.probe.dns import make_resolver
from bot.probe.eyeballs import CONNECTION_ATTEMPT_DELAY_S, order, race
from bot.probe.findings import findings_for
from bot.probe.report import AddressResult, PortResult
from bot.render.ports import port_rows
from tests.probe.conftest import Certs, Handler
from tests.probe.dnsstub import start_dns_stub

V4, V6 = ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")
LOOPBACKS = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback (::1) on this machine")


def _free_port_on_both() -> int:
    """A TCP port free on ::1 and on 127.0.0.1."""
    for _ in range(50):
        with socket.socket(socket.AF_INET6) as s6:
            s6.bind(("::1", 0))
            port: int = s6.getsockname()[1]
            with socket.socket() as s4:
                try:
                    s4.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no port free on both loopbacks")


def _full_backlog(host: str, port: int) -> list[socket.socket]:
    """A listener on host:port whose accept queue is full: further SYNs are dropped, a connect times out."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family)
    listener.bind((host, port))
    listener.listen(0)
    port = listener.getsockname()[1]
    held = [listener]
    for _ in range(4):
        filler = socket.socket(family)
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect((host, port))
        held.append(filler)
    time.sleep(0.05)
    return held


@pytest.fixture
async def dual(certs: Certs) -> AsyncIterator[Any]:
    """start(v6=..., v4=...) with each side 'smtp' (aiosmtpd, STARTTLS), 'closed' (refused) or 'blackhole'
    (connect time-out), all on one port number; returns the port."""
    servers: list[asyncio.base_events.Server] = []
    held: list[socket.socket] = []

    async def start(*, v6: str, v4: str) -> int:
        port = _free_port_on_both()
        for host, kind in (("::1", v6), ("127.0.0.1", v4)):
            if kind == "smtp":
                servers.append(await asyncio.get_running_loop().create_server(
                    lambda: SMTP(Handler(), hostname="mail.lab.test", tls_context=certs.good), host, port))
            elif kind == "blackhole":
                held.extend(_full_backlog(host, port))
        return port

    yield start
    for s in servers:
        s.close()
    for sock in held:
        sock.close()


async def _probe(port: int, certs: Certs, addresses: tuple[str, ...] = ("::1", "127.0.0.1"), **kw: Any) -> ProbeReport:
    zone = {"mail.lab.test": {"AAAA": [a for a in addresses if ":" in a], "A": [a for a in addresses if ":" not in a]}}
    transport, dns_port = await start_dns_stub(zone)
    try:
        return await run_probe(
            "mail.lab.test:587",
            resolver=make_resolver(nameservers=["127.0.0.1"], port=dns_port, timeout=0.5, lifetime=1.0),
            allow_networks=LOOPBACKS, ca_file=certs.ca_file, port_map={587: port},
            timeout_s=kw.pop("timeout_s", 4.0), step_timeout_s=1.0, connect_timeout_s=kw.pop("connect", 1.0), **kw,
        )
    finally:
        transport.close()


def test_order_interleaves_families_ipv6_first() -> None:
    a4, b4, a6, b6 = (ipaddress.ip_address(x) for x in ("192.0.2.1", "192.0.2.2", "2001:db8::1", "2001:db8::2"))
    assert order([a4, b4, a6, b6]) == (a6, a4, b6, b4)
    assert order([a4, b4]) == (a4, b4)
    assert order([a6]) == (a6,)


async def test_both_families_answer_session_on_ipv6_and_every_address_reported(dual: Any, certs: Certs) -> None:
    port = await dual(v6="smtp", v4="smtp")
    report = await _probe(port, certs)
    p = report.ports[0]
    assert p.status == "ok"
    assert p.tls == "starttls"
    assert p.address == "::1"
    assert [(a.address, a.status, a.used) for a in p.addresses] == [("::1", "ok", True), ("127.0.0.1", "ok", False)]
    assert "network_blocked" not in {f.cause for f in report.findings}
    again = ProbeReport.from_dict(report.to_dict())
    assert again == report
    assert report.to_dict()["ports"][0]["addresses"][1] == {
        "address": "127.0.0.1", "status": "ok", "connect_ms": p.addresses[1].connect_ms, "error": None, "used": False}
    assert port_rows(report)[0].result == "ok"


async def test_ipv6_refused_falls_back_to_ipv4_at_once_and_is_a_finding(dual: Any, certs: Certs) -> None:
    port = await dual(v6="closed", v4="smtp")
    started = time.monotonic()
    report = await _probe(port, certs)
    p = report.ports[0]
    assert p.status == "ok"
    assert p.address == "127.0.0.1"
    assert [(a.address, a.status, a.used) for a in p.addresses] == [("::1", "refused", False),
                                                                    ("127.0.0.1", "ok", True)]
    # a refusal starts the next address at once, not after the 250 ms delay
    assert p.addresses[1].connect_ms is not None
    assert p.timings["connect"] < CONNECTION_ATTEMPT_DELAY_S * 1000
    assert time.monotonic() - started < 2.0
    found = [f for f in report.findings if "IPv6 does not connect" in f.detail]
    assert len(found) == 1
    assert found[0].cause == "network_blocked"
    assert not found[0].decisive  # the probe's network is not the user's: a note
    assert "::1 refused" in found[0].detail
    assert "127.0.0.1" in found[0].detail
    assert port_rows(report)[0].result == "ok, v6 down"
    assert any(line.startswith("== ::1: connection refused") for line in p.dialogue)  # -v says why it moved on


async def test_ipv6_blackholed_ipv4_starts_after_the_attempt_delay(dual: Any, certs: Certs) -> None:
    port = await dual(v6="blackhole", v4="smtp")
    report = await _probe(port, certs, connect=3.0)
    p = report.ports[0]
    assert p.status == "ok"
    assert p.address == "127.0.0.1"
    v6, v4 = p.addresses
    assert v6.status == "timeout"
    assert v4.status == "ok"
    assert v4.used
    # IPv4 waited for the Connection Attempt Delay, not for IPv6's 3 s connect time-out
    assert CONNECTION_ATTEMPT_DELAY_S * 1000 <= p.timings["connect"] < 1000
    assert report.timings["total"] < 2500
    assert [f.cause for f in report.findings if "IPv6 does not connect" in f.detail] == ["network_blocked"]


async def test_every_address_fails_port_reports_the_most_telling_failure(dual: Any, certs: Certs) -> None:
    port = await dual(v6="blackhole", v4="closed")
    report = await _probe(port, certs, connect=0.6)
    p = report.ports[0]
    assert p.status == "refused"  # something answered on IPv4: nothing listens there
    assert {a.address: a.status for a in p.addresses} == {"::1": "timeout", "127.0.0.1": "refused"}
    assert not any(a.used for a in p.addresses)
    assert not any("does not connect" in f.detail for f in report.findings)


async def test_single_address_is_one_connection_and_no_timer(dual: Any, certs: Certs) -> None:
    port = await dual(v6="closed", v4="smtp")
    report = await _probe(port, certs, addresses=("127.0.0.1",))
    p = report.ports[0]
    assert [(a.address, a.status, a.used) for a in p.addresses] == [("127.0.0.1", "ok", True)]
    assert "network_blocked" not in {f.cause for f in report.findings}


async def test_race_cancelled_leaves_no_socket_open(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[socket.socket] = []

    class Tracked(socket.socket):
        def __init__(self, *args: Any, **kw: Any) -> None:
            super().__init__(*args, **kw)
            opened.append(self)

    held = _full_backlog("127.0.0.1", 0)
    port = held[0].getsockname()[1]
    monkeypatch.setattr("bot.probe.eyeballs.socket.socket", Tracked)
    try:
        task = asyncio.ensure_future(race([V6, V4], port, limit_s=5.0))
        await asyncio.sleep(0.4)
        assert [s.fileno() != -1 for s in opened] == [False, True]  # ::1 refused and closed, IPv4 still connecting
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert [s.fileno() for s in opened] == [-1, -1]
    finally:
        for s in held:
            s.close()


async def test_a_mixed_public_private_answer_is_refused_in_either_family() -> None:
    zone = {"mixed6.lab.test": {"A": ["127.0.0.1"], "AAAA": ["fd00::25"]},
            "mixed4.lab.test": {"A": ["10.0.0.25"], "AAAA": ["::1"]}}
    transport, dns_port = await start_dns_stub(zone)
    try:
        for name in ("mixed6.lab.test", "mixed4.lab.test"):
            with pytest.raises(TargetNotAllowed):
                await run_probe(f"{name}:587", allow_networks=LOOPBACKS, timeout_s=3,
                                resolver=make_resolver(nameservers=["127.0.0.1"], port=dns_port, timeout=0.5))
    finally:
        transport.close()


def _port(*addresses: tuple[str, str]) -> PortResult:
    return PortResult(port=587, status="ok", addresses=tuple(
        AddressResult(address=a, status=s, used=i == 0) for i, (a, s) in enumerate(addresses)))


@pytest.mark.parametrize(
    ("addresses", "observation"),
    [
        ((("2001:db8::1", "timeout"), ("192.0.2.1", "ok")), "IPv6 does not connect"),
        ((("2001:db8::1", "ok"), ("192.0.2.1", "unreachable")), "IPv4 does not connect"),
        ((("192.0.2.1", "ok"), ("192.0.2.2", "timeout")), "some addresses of the host"),
        ((("2001:db8::1", "ok"), ("192.0.2.1", "ok")), None),
        ((("2001:db8::1", "timeout"), ("192.0.2.1", "timeout")), None),
    ],
)
def test_address_findings(addresses: tuple[tuple[str, str], ...], observation: str | None) -> None:
    report = ProbeReport(target="x.example", host="x.example", ports=(_port(*addresses),))
    details = [f.detail for f in findings_for(report) if f.cause == "network_blocked"]
    if observation is None:
        assert not any("connect" in d and "while" in d for d in details)
    else:
        assert any(d.startswith(observation) for d in details), details
