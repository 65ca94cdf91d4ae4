"""Pure parts: the report's JSON round trip, the findings table, and the limits around run_probe."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.errors import ProbeError
from bot.kb import load_knowledge_base
from bot.model import Finding
from bot.probe import ProbeLimits, RateKey, findings, run_probe
from bot.probe.findings import findings_for, observations
from bot.probe.report import (
    AuthResult,
    CertInfo,
    DnsFacts,
    PortResult,
    ProbeReport,
    StatusFeed,
    clean_text,
)
from tests.probe.conftest import ServerFactory

KB = load_knowledge_base()  # refused AUTH replies are read by the real engine and cause files


def full_report() -> ProbeReport:
    port = PortResult(
        port=465,
        status="error",
        tls="implicit",
        expected_tls="implicit",
        address="192.0.2.1",
        connect_ms=1.5,
        greeting_code=220,
        greeting_text="hi",
        greeting_ms=3.0,
        extensions={"auth": "PLAIN"},
        auth_before_tls=("PLAIN",),
        tls_version="TLSv1.3",
        tls_cipher="TLS_AES_128_GCM_SHA256",
        cert=CertInfo(
            subject="CN=a",
            issuer="CN=b",
            sans=("a",),
            not_before="2024-01-01",
            not_after="2025-01-01",
            trusted=False,
            hostname_match=False,
            expired=True,
            error="certificate has expired",
        ),
        stage="tls",
        error="certificate not accepted",
        auth=AuthResult(ok=False, code=535, text="5.7.8 no"),
    )
    report = ProbeReport(
        target="smtps://***@a.example",
        host="a.example",
        addresses=("192.0.2.1",),
        dns=DnsFacts(
            status="ok",
            addresses=("192.0.2.1",),
            mx=((10, "mx.a.example"),),
            mx_status="ok",
            sender_domain="a.example",
            spf="v=spf1 -all",
            spf_verdict="strict",
            dmarc=None,
            dmarc_verdict="missing: no DMARC record",
        ),
        ports=(port,),
        provider="labmail",
        status_feed=StatusFeed(
            provider="labmail", page="https://status.example", ok=True, incident=True, titles=("SMTP down",)
        ),
        duration_ms=12.5,
    )
    return ProbeReport(**{**report.__dict__, "findings": findings_for(report, kb=KB)})


def test_round_trip_through_json_is_exact() -> None:
    report = full_report()
    doc = json.loads(json.dumps(report.to_dict()))
    assert ProbeReport.from_dict(doc) == report
    assert {"host", "addresses", "dns", "ports", "findings"} <= set(doc)
    assert doc["ports"][0]["status"] in ("ok", "refused", "timeout", "unreachable", "error")
    assert doc["ports"][0]["tls"] in ("implicit", "starttls", "none")


def test_findings_of_the_full_report() -> None:
    got = {f.cause for f in full_report().findings}
    assert got == {"provider_outage", "tls_handshake_failure", "bad_credentials", "sender_domain_auth"}
    assert all(isinstance(f, Finding) for f in full_report().findings)


@pytest.mark.parametrize(
    ("code", "text", "cause"),
    [
        (534, "5.7.9 Application-specific password required", "app_password_required"),
        (
            535,
            "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled",
            "basic_auth_disabled",
        ),
        (454, "4.7.0 Temporary authentication failure", "provider_outage"),
        (535, "5.7.8 Username and Password not accepted", "bad_credentials"),
        (534, "5.7.14 Please log in via your web browser", "account_restricted"),
    ],
)
def test_auth_replies_map_to_causes(code: int, text: str, cause: str) -> None:
    p = PortResult(
        port=587,
        status="ok",
        tls="starttls",
        auth_after_tls=("PLAIN",),
        auth=AuthResult(ok=False, code=code, text=text),
    )
    causes = [f.cause for f in findings_for(ProbeReport(target="x", host="x", ports=(p,)), kb=KB)]
    assert cause in causes


def test_no_starttls_on_587_and_no_auth_on_465() -> None:
    ports = (
        PortResult(port=587, status="ok", tls="none", extensions={"size": "1"}),
        PortResult(port=465, status="ok", tls="implicit", expected_tls="implicit"),
    )
    details = [f.detail for f in findings_for(ProbeReport(target="x", host="x", ports=ports), kb=KB)]
    assert any("does not offer STARTTLS" in d for d in details)
    assert any("offers no AUTH" in d for d in details)


def test_old_tls_is_a_handshake_problem() -> None:
    p = PortResult(
        port=465,
        status="ok",
        tls="implicit",
        expected_tls="implicit",
        tls_version="TLSv1",
        auth_before_tls=("PLAIN",),
    )
    assert [f.cause for f in findings_for(ProbeReport(target="x", host="x", ports=(p,)), kb=KB)] == [
        "tls_handshake_failure"
    ]


def test_clean_text_strips_controls_and_bidi_and_caps() -> None:
    assert clean_text("220 a\x00b\x1b[0m\u202ec\r\n".encode()) == "220 ab[0mc"
    assert len(clean_text("x" * 1000)) == 300


async def test_budget_cut_returns_partial_results_not_an_exception(
    smtp_server: ServerFactory, probe_kwargs: dict[str, Any]
) -> None:
    port = await smtp_server("silent")
    kwargs = {**probe_kwargs, "timeout_s": 0.6, "step_timeout_s": 5.0}
    report = await run_probe("127.0.0.1:587", port_map={587: port}, **kwargs)
    p = report.ports[0]
    assert p.status == "timeout"
    assert p.error is not None
    assert "budget" in p.error
    assert p.stage == "greeting"


async def test_rate_limit_hook_can_refuse(probe_kwargs: dict[str, Any]) -> None:
    seen: list[RateKey] = []

    class No:
        async def acquire(self, key: RateKey) -> bool:
            seen.append(key)
            return False

    with pytest.raises(ProbeError, match="rate limit"):
        await run_probe(
            "127.0.0.1:587",
            rate_limiter=No(),
            rate_key=RateKey(target="127.0.0.1", user="U1"),
            **probe_kwargs,
        )
    assert seen[0].user == "U1"


async def test_concurrency_cap_is_enforced(smtp_server: ServerFactory, probe_kwargs: dict[str, Any]) -> None:
    port = await smtp_server("silent")
    limits = ProbeLimits(1, wait_s=0.2)
    kwargs = {**probe_kwargs, "timeout_s": 1.0}
    first = asyncio.create_task(run_probe("127.0.0.1:587", port_map={587: port}, limits=limits, **kwargs))
    await asyncio.sleep(0.05)
    with pytest.raises(ProbeError, match="too many probes"):
        await run_probe("127.0.0.1:587", port_map={587: port}, limits=limits, **kwargs)
    await first


def test_every_observation_the_probe_reports_is_a_row_of_knowledge_probe_yaml_naming_a_known_cause() -> None:
    """findings.py detects; knowledge/probe.yaml decides what each observation means (and nothing else does)."""
    source = (Path(findings.__file__)).read_text(encoding="utf-8")
    detected = set(re.findall(r'observe\("(\w+)"', source))
    table = observations()
    assert detected == set(table)
    assert {cause for cause, _decisive in table.values()} <= set(KB.causes)
    assert not re.search(r'cause="\w+"', source), "a cause id is spelled in findings.py instead of knowledge/"


def test_a_port_sessions_accumulator_carries_every_field_of_port_result() -> None:
    """probe/smtp.py fills a mutable accumulator (a cancelled session still reports its progress) and freezes it
    field by field; a field added to PortResult must be added there too."""
    from dataclasses import fields

    from bot.probe.smtp import _Acc

    assert {f.name for f in fields(PortResult)} <= {f.name for f in fields(_Acc)}


def test_nxdomain_for_a_documented_provider_host_is_local_dns_not_a_wrong_host() -> None:
    dns = DnsFacts(status="nxdomain")
    known = ProbeReport(target="smtp.gmail.com", host="smtp.gmail.com", provider="gmail", dns=dns)
    typo = ProbeReport(target="smtpp.gmail.com", host="smtpp.gmail.com", provider="gmail", dns=dns)
    unknown = ProbeReport(target="mail.example.com", host="mail.example.com", dns=dns)
    found = findings_for(known, kb=KB)
    assert [f.cause for f in found] == ["network_blocked"]
    assert "local resolver" in found[0].detail
    assert [f.cause for f in findings_for(typo, kb=KB)] == ["wrong_host_or_port"]
    assert [f.cause for f in findings_for(unknown, kb=KB)] == ["wrong_host_or_port"]
