"""DNS outcomes told apart, SPF/DMARC verdicts, and the whole probe by name, against a stub DNS server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.errors import TargetNotAllowed
from bot.probe import run_probe
from bot.probe.dns import dmarc_verdict, lookup_host, lookup_sender, make_resolver, spf_verdict
from tests.probe.conftest import ServerFactory
from tests.probe.dnsstub import start_dns_stub

ZONE = {
    "mail.lab.test": {"A": ["127.0.0.1"]},
    "mixed.lab.test": {"A": ["127.0.0.1", "10.0.0.7"]},
    "private.lab.test": {"A": ["10.1.2.3"], "AAAA": ["fd00:ec2::254"]},
    "maildomain.test": {"MX": ["10 mx1.maildomain.test.", "20 mx2.maildomain.test."]},
    "strict.test": {"TXT": ['"v=spf1 include:_spf.example -all"']},
    "_dmarc.strict.test": {"TXT": ['"v=DMARC1; p=reject; rua=mailto:d@strict.test"']},
    "nothing.test": {"A": ["192.0.2.1"]},
    "two.test": {"TXT": ['"v=spf1 -all"', '"v=spf1 ~all"']},
}


@pytest.fixture
async def resolver() -> AsyncIterator[Any]:
    transport, port = await start_dns_stub(ZONE, servfail=["broken.test"], silent=["slow.test"])
    yield make_resolver(nameservers=["127.0.0.1"], port=port, timeout=0.5, lifetime=1.0)
    transport.close()


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("mail.lab.test", "ok"),
        ("missing.lab.test", "nxdomain"),
        ("broken.test", "servfail"),
        ("slow.test", "timeout"),
        ("maildomain.test", "nodata"),
    ],
)
async def test_outcomes_are_told_apart(resolver: Any, name: str, status: str) -> None:
    facts, _ = await lookup_host(name, resolver=resolver, lifetime=1.0)
    assert facts.status == status


async def test_bare_mail_domain_reports_mx_and_finding(resolver: Any) -> None:
    report = await run_probe("maildomain.test", resolver=resolver, timeout_s=3)
    assert report.dns.mx == ((10, "mx1.maildomain.test"), (20, "mx2.maildomain.test"))
    # its MX hosts are tried on 25 (here they do not resolve: a result each, no connection)
    assert [(p.host, p.port, p.status, p.address) for p in report.ports] == [
        ("mx1.maildomain.test", 25, "error", None), ("mx2.maildomain.test", 25, "error", None)]
    assert [f.cause for f in report.findings] == ["wrong_host_or_port"]
    assert "mx1.maildomain.test" in report.findings[0].detail


async def test_nxdomain_is_wrong_host(resolver: Any) -> None:
    report = await run_probe("missing.lab.test:587", resolver=resolver, timeout_s=3)
    assert report.dns.status == "nxdomain"
    assert report.findings[0].cause == "wrong_host_or_port"


@pytest.mark.parametrize("name", ["private.lab.test", "mixed.lab.test"])
async def test_names_resolving_to_private_addresses_are_refused(resolver: Any, name: str) -> None:
    with pytest.raises(TargetNotAllowed) as info:
        await run_probe(f"{name}:587", resolver=resolver, timeout_s=3)
    assert "10." not in str(info.value)
    assert "fd00" not in str(info.value)


async def test_mixed_name_is_refused_even_when_loopback_is_allowed(resolver: Any) -> None:
    import ipaddress

    with pytest.raises(TargetNotAllowed):
        await run_probe(
            "mixed.lab.test:587",
            resolver=resolver,
            timeout_s=3,
            allow_networks=(ipaddress.ip_network("127.0.0.0/8"),),
        )


async def test_probe_by_name_connects_to_the_resolved_address_and_checks_the_name(
    resolver: Any, smtp_server: ServerFactory, probe_kwargs: dict[str, Any]
) -> None:
    port = await smtp_server("implicit")
    report = await run_probe("mail.lab.test:465", resolver=resolver, port_map={465: port}, **probe_kwargs)
    p = report.ports[0]
    assert report.addresses == ("127.0.0.1",)
    assert p.address == "127.0.0.1"
    assert p.cert is not None
    assert p.cert.trusted
    assert p.cert.hostname_match


async def test_sender_domain_spf_and_dmarc(resolver: Any) -> None:
    facts = await lookup_sender("strict.test", resolver=resolver)
    assert facts["spf_verdict"].startswith("strict")
    assert facts["dmarc_verdict"].startswith("p=reject")
    missing = await lookup_sender("nothing.test", resolver=resolver)
    assert missing["spf_verdict"].startswith("missing")
    assert missing["dmarc_verdict"].startswith("missing")


async def test_sender_domain_findings(resolver: Any) -> None:
    report = await run_probe("missing.lab.test", sender_domain="nothing.test", resolver=resolver, timeout_s=3)
    assert [f.cause for f in report.findings].count("sender_domain_auth") == 2


@pytest.mark.parametrize(
    ("records", "start"),
    [
        ([], "missing"),
        (["v=spf1 -all", "v=spf1 ~all"], "broken"),
        (["v=spf1 mx ~all"], "soft"),
        (["v=spf1 +all"], "open"),
        (["v=spf1 a mx"], "no 'all'"),
        (["v=spf1 redirect=_spf.x.test"], "delegated"),
    ],
)
def test_spf_verdicts(records: list[str], start: str) -> None:
    assert spf_verdict(records).startswith(start)


@pytest.mark.parametrize(
    ("records", "start"),
    [
        ([], "missing"),
        (["v=DMARC1; p=none"], "p=none"),
        (["v=DMARC1;p=quarantine"], "p=quarantine"),
        (["v=DMARC1; rua=mailto:x@y.test"], "no valid"),
    ],
)
def test_dmarc_verdicts(records: list[str], start: str) -> None:
    assert dmarc_verdict(records).startswith(start)
