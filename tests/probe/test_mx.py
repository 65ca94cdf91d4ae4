"""A bare mail domain (`smtp-help probe example.com`): its first two MX hosts on 25, in order of preference, beside
the submission host its provider documents; "the MX does not answer on 25 from here" is a finding. Stub DNS,
aiosmtpd servers on 127.0.0.1 / 127.0.0.2, nothing leaves loopback."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ipaddress
import socket
import ssl
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiohttp import web
from aiosmtpd.smtp import SMTP

from bot.probe import ProbeReport, run_probe
from bot.probe.dns import make_resolver
from bot.render.ports import port_rows
from bot.render.text import render_probe
from tests.probe.conftest import Handler
from tests.probe.dnsstub import start_dns_stub
from tests.tinykb import tiny_kb

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)
LAB = {
    "id": "labmail",
    "name": "Lab Mail",
    "recognise": {"hosts": [".mx.labmail.test"]},
    "submission": [{"host": "smtp.labmail.test", "port": 587, "tls": "starttls"},
                   {"host": "smtp.labmail.test", "port": 465, "tls": "implicit"},
                   {"host": "other.labmail.test", "port": 2525, "tls": "starttls"}],
}


def _kb(**domains: str) -> Any:
    kb = tiny_kb(LAB)
    kb.providers["labmail"] = dataclasses.replace(kb.providers["labmail"], domains=frozenset(domains.values()))
    return kb


def _zone(mx2: str = "127.0.0.2") -> dict[str, dict[str, list[str]]]:
    return {
        # a mail domain with a web server address: that address is not where mail goes, it is not probed
        "corp.test": {"A": ["127.0.0.9"],
                      "MX": ["20 b.mx.labmail.test.", "10 a.mx.labmail.test.", "30 c.mx.labmail.test."]},
        "a.mx.labmail.test": {"A": ["127.0.0.1"]},
        "b.mx.labmail.test": {"A": [mx2]},
        "c.mx.labmail.test": {"A": ["127.0.0.1"]},
        "smtp.labmail.test": {"A": ["127.0.0.1"]},
        "self.test": {"A": ["127.0.0.1"], "MX": ["10 self.test."]},
        "nomx.test": {"MX": ["10 gone.nomx.test."]},
    }


def _free_port(*hosts: str) -> int:
    for _ in range(50):
        with socket.socket() as first:
            first.bind((hosts[0], 0))
            port: int = first.getsockname()[1]
            ok = True
            for h in hosts[1:]:
                with socket.socket() as s:
                    try:
                        s.bind((h, port))
                    except OSError:
                        ok = False
            if ok:
                return port
    raise RuntimeError("no common free port")


def _blackhole(host: str, port: int) -> list[socket.socket]:
    listener = socket.socket()
    listener.bind((host, port))
    listener.listen(0)
    held = [listener]
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect((host, port))
        held.append(filler)
    time.sleep(0.05)
    return held


@pytest.fixture
async def lab(tmp_path: Path) -> AsyncIterator[Any]:
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("smtp.labmail.test", "a.mx.labmail.test", "b.mx.labmail.test").configure_cert(tls)
    servers: list[asyncio.base_events.Server] = []
    held: list[socket.socket] = []
    handlers: list[Handler] = []

    def smtp() -> SMTP:
        handlers.append(Handler())
        return SMTP(handlers[-1], hostname="mx.lab.test", tls_context=tls)

    async def start(*, mx1: str = "smtp", mx2: str = "smtp", zone: dict[str, Any] | None = None,
                    **kw: Any) -> ProbeReport:
        mx_port, sub_port = _free_port("127.0.0.1", "127.0.0.2"), _free_port("127.0.0.1")
        for host, kind in (("127.0.0.1", mx1), ("127.0.0.2", mx2)):
            if kind == "smtp":
                servers.append(await asyncio.get_running_loop().create_server(smtp, host, mx_port))
            elif kind == "blackhole":
                held.extend(_blackhole(host, mx_port))
        servers.append(await asyncio.get_running_loop().create_server(smtp, "127.0.0.1", sub_port))
        transport, dns_port = await start_dns_stub(zone or _zone())
        try:
            return await run_probe(
                kw.pop("target", "corp.test"),
                resolver=make_resolver(nameservers=["127.0.0.1"], port=dns_port, timeout=0.5, lifetime=1.0),
                allow_networks=kw.pop("allow", LOOPBACK), ca_file=str(ca_file),
                port_map={25: mx_port, 587: sub_port, 465: _free_port("127.0.0.1")},
                timeout_s=4.0, step_timeout_s=1.0, connect_timeout_s=1.0, **kw,
            )
        finally:
            transport.close()

    start.handlers = handlers  # type: ignore[attr-defined]
    yield start
    for s in servers:
        s.close()
    for sock in held:
        sock.close()


async def test_mx_hosts_on_25_by_preference_beside_the_documented_submission_host(lab: Any) -> None:
    report = await lab(providers=_kb())
    assert [(p.role, p.host, p.port) for p in report.ports] == [
        ("mx", "a.mx.labmail.test", 25),  # preference 10 first
        ("mx", "b.mx.labmail.test", 25),  # then 20; the third MX is not probed
        ("submission", "smtp.labmail.test", 587),
        ("submission", "smtp.labmail.test", 465),  # the provider's second documented port of that host
    ]
    a, b, sub, implicit = report.ports
    assert (a.status, a.tls, a.address) == ("ok", "starttls", "127.0.0.1")
    assert (b.status, b.address) == ("ok", "127.0.0.2")
    assert (sub.status, sub.tls, sub.expected_tls) == ("ok", "starttls", "starttls")
    assert sub.cert is not None
    assert sub.cert.trusted
    assert sub.cert.hostname_match
    assert implicit.expected_tls == "implicit"
    assert implicit.status == "refused"  # nothing listens on the lab's 465
    assert report.provider == "labmail"  # recognised from the MX host names
    assert "127.0.0.9" not in {p.address for p in report.ports}  # the domain's web address is not probed
    assert "network_blocked" not in {f.cause for f in report.findings}
    assert all(h.commands == [] for h in lab.handlers)  # no MAIL, no RCPT: nothing is ever sent through an MX
    assert ProbeReport.from_dict(report.to_dict()) == report
    assert report.to_dict()["ports"][0]["role"] == "mx"
    assert port_rows(report)[0].note.startswith("MX a.mx.labmail.test: 220")
    text = render_probe(report)  # the terminal's per-port lines name the host: both MX answer on 25
    assert "  a.mx.labmail.test:25 greeting: mx.lab.test" in text, text
    assert "  b.mx.labmail.test:25 greeting: mx.lab.test" in text
    assert "  smtp.labmail.test:587 certificate:" in text
    # AUTH only after STARTTLS is how a healthy submission port looks: worth knowing, not a finding
    assert "Findings: none" in text
    assert "Worth knowing:\n  - smtp.labmail.test port 587 offers AUTH (LOGIN PLAIN) only after STARTTLS" in text


async def test_mx_silent_on_25_is_network_blocked(lab: Any) -> None:
    report = await lab(mx1="blackhole", mx2="blackhole", providers=_kb())
    mx = [p for p in report.ports if p.role == "mx"]
    assert [(p.status, p.stage) for p in mx] == [("timeout", "connect")] * 2
    found = [f for f in report.findings if "does not answer on port 25" in f.detail]
    assert [f.cause for f in found] == ["network_blocked"]
    assert found[0].decisive
    assert "a.mx.labmail.test, b.mx.labmail.test" in found[0].detail
    assert not any("no answer on port" in f.detail for f in report.findings)  # not "every port timed out"
    assert report.timings["total"] < 3000


async def test_one_mx_answering_is_no_finding(lab: Any) -> None:
    report = await lab(mx2="blackhole", providers=_kb())
    assert [p.status for p in report.ports if p.role == "mx"] == ["ok", "timeout"]
    assert not any("does not answer on port 25" in f.detail for f in report.findings)


async def test_provider_known_from_the_domain_itself(lab: Any) -> None:
    zone = _zone()
    zone["corp.test"]["MX"] = ["10 a.mx.labmail.test."]
    zone["a.mx.labmail.test"] = {"A": ["127.0.0.1"]}
    kb = _kb(domain="corp.test")
    kb.providers["labmail"] = dataclasses.replace(kb.providers["labmail"], host_suffixes=())
    report = await lab(providers=kb, zone=zone)
    assert [(p.role, p.host) for p in report.ports][:2] == [("mx", "a.mx.labmail.test"),
                                                             ("submission", "smtp.labmail.test")]
    assert report.provider == "labmail"


async def test_no_provider_known_probes_the_mx_only(lab: Any) -> None:
    report = await lab()
    assert [p.role for p in report.ports] == ["mx", "mx"]


async def test_an_mx_with_a_private_address_is_not_probed_and_not_revealed(lab: Any) -> None:
    report = await lab(zone=_zone(mx2="10.0.0.25"), providers=_kb())
    a, b = report.ports[:2]
    assert a.status == "ok"
    assert (b.status, b.address, b.addresses) == ("error", None, ())
    assert b.error == "not probed: b.mx.labmail.test is or resolves to a non-public address"
    assert "10.0.0.25" not in repr(report.to_dict())


@pytest.mark.parametrize("target", ["corp.test:587", "self.test"])
async def test_a_port_or_a_name_that_is_its_own_mx_is_probed_as_a_server(lab: Any, target: str) -> None:
    report = await lab(target=target, providers=_kb())
    assert {p.role for p in report.ports} == {None}
    assert {p.host for p in report.ports} == {None}
    assert 587 in {p.port for p in report.ports}


async def test_a_forced_port_on_a_mail_domain_probes_the_name(lab: Any) -> None:
    report = await lab(target="corp.test", ports=[587], providers=_kb(), allow=(ipaddress.ip_network("127.0.0.0/8"),))
    assert [(p.role, p.address) for p in report.ports] == [(None, "127.0.0.9")]


async def test_mx_that_does_not_resolve_is_a_result(lab: Any) -> None:
    report = await lab(target="nomx.test")
    assert [(p.role, p.host, p.status) for p in report.ports] == [("mx", "gone.nomx.test", "error")]
    assert report.ports[0].error == "gone.nomx.test does not resolve (nxdomain)"
    assert [f.cause for f in report.findings] == ["wrong_host_or_port"]  # a mail domain, not a server


async def test_a_provider_known_from_its_mx_names_gets_its_status_feed(lab: Any) -> None:
    async def summary(request: web.Request) -> web.Response:
        return web.json_response({"status": {"indicator": "major"},
                                  "incidents": [{"name": "Inbound mail delayed", "status": "investigating"}]})

    app = web.Application()
    app.router.add_get("/api/v2/summary.json", summary)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    kb = tiny_kb({**LAB, "status": {"page": "https://status.labmail.test/", "feed_format": "statuspage",
                                    "feed": f"http://127.0.0.1:{port}/api/v2/summary.json"}})
    try:
        report = await lab(providers=kb)
    finally:
        await runner.cleanup()
    assert report.provider == "labmail"  # not from corp.test itself: from a.mx.labmail.test
    assert report.status_feed is not None
    assert report.status_feed.incident
    assert "provider_outage" in {f.cause for f in report.findings}
    assert report.timings["status_feed"] > 0
