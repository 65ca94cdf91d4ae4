"""The probe against real in-process SMTP servers (aiosmtpd, trustme certificates) on 127.0.0.1."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest

from bot.errors import TargetNotAllowed
from bot.kb import KnowledgeBase
from bot.probe import ProbeReport, run_probe
from tests.probe.conftest import PASSWORD, USER, Certs, ServerFactory
from tests.services import full_backlog_listener


def causes(report: ProbeReport) -> set[str]:
    return {f.cause for f in report.findings}


async def test_starttls_port_reports_greeting_extensions_tls_and_auth_after_tls(
    smtp_server: ServerFactory, probe_kwargs: dict[str, Any]
) -> None:
    port = await smtp_server("plain")
    report = await run_probe("127.0.0.1:587", port_map={587: port}, **probe_kwargs)
    p = report.port(587)
    assert p is not None
    assert p.status == "ok", p
    assert p.tls == "starttls"
    assert p.greeting_code == 220
    assert "starttls" in p.extensions
    assert p.auth_before_tls == ()
    assert {"PLAIN", "LOGIN"} <= set(p.auth_after_tls)
    assert p.cert is not None
    assert p.cert.trusted
    assert p.cert.hostname_match
    assert p.tls_version in ("TLSv1.2", "TLSv1.3")
    assert "tls_mismatch" in causes(report)  # AUTH only after STARTTLS is worth telling the user


async def test_implicit_tls_port(smtp_server: ServerFactory, probe_kwargs: dict[str, Any]) -> None:
    port = await smtp_server("implicit")
    report = await run_probe("127.0.0.1:465", port_map={465: port}, **probe_kwargs)
    p = report.port(465)
    assert p is not None
    assert p.status == "ok"
    assert p.tls == "implicit"
    assert p.cert is not None
    assert p.cert.trusted
    assert set(p.auth_before_tls) >= {"PLAIN", "LOGIN"}
    assert report.findings == ()


async def test_plaintext_greeting_on_465_is_a_tls_mismatch(
    smtp_server: ServerFactory, probe_kwargs: dict[str, Any]
) -> None:
    port = await smtp_server("plain")
    report = await run_probe("127.0.0.1:465", port_map={465: port}, **probe_kwargs)
    p = report.port(465)
    assert p is not None
    assert p.wrong_mode == "plaintext_on_implicit"
    assert p.greeting_code == 220
    assert "tls_mismatch" in causes(report)


async def test_tls_on_587_is_a_tls_mismatch(smtp_server: ServerFactory, probe_kwargs: dict[str, Any]) -> None:
    port = await smtp_server("implicit")
    report = await run_probe("127.0.0.1:587", port_map={587: port}, **probe_kwargs)
    p = report.port(587)
    assert p is not None
    assert p.wrong_mode == "tls_on_starttls_port"
    assert "tls_mismatch" in causes(report)


@pytest.mark.parametrize(
    ("which", "expect"),
    [("untrusted", "not trusted"), ("expired", "expired"), ("wrong_name", "not valid for this host name")],
)
async def test_bad_certificate_is_a_handshake_failure_and_still_described(
    smtp_server: ServerFactory, probe_kwargs: dict[str, Any], certs: Certs, which: str, expect: str
) -> None:
    port = await smtp_server("implicit", ctx=getattr(certs, which))
    report = await run_probe("127.0.0.1:465", port_map={465: port}, **probe_kwargs)
    p = report.port(465)
    assert p is not None
    assert p.status == "error"
    assert p.stage == "tls"
    assert p.cert is not None
    assert not p.cert.trusted
    assert p.cert.subject
    assert p.auth_before_tls, "the second, non-verifying look still lists AUTH"
    details = " ".join(f.detail for f in report.findings if f.cause == "tls_handshake_failure")
    assert expect in details


async def test_bad_certificate_on_starttls(
    smtp_server: ServerFactory, probe_kwargs: dict[str, Any], certs: Certs
) -> None:
    port = await smtp_server("plain", ctx=certs.untrusted)
    report = await run_probe("127.0.0.1:587", port_map={587: port}, **probe_kwargs)
    p = report.port(587)
    assert p is not None
    assert p.stage == "tls"
    assert p.cert is not None
    assert not p.cert.trusted
    assert p.auth_after_tls
    assert "tls_handshake_failure" in causes(report)


async def test_421_greeting_is_provider_outage(
    smtp_server: ServerFactory, probe_kwargs: dict[str, Any]
) -> None:
    port = await smtp_server("greet421")
    report = await run_probe("127.0.0.1:587", port_map={587: port}, **probe_kwargs)
    p = report.port(587)
    assert p is not None
    assert p.greeting_code == 421
    assert p.status == "error"
    assert "provider_outage" in causes(report)


async def test_silent_server_times_out_at_greeting(
    smtp_server: ServerFactory, probe_kwargs: dict[str, Any]
) -> None:
    port = await smtp_server("silent")
    started = time.monotonic()
    report = await run_probe("127.0.0.1:587", port_map={587: port}, **probe_kwargs)
    p = report.port(587)
    assert p is not None
    assert p.status == "timeout"
    assert p.stage == "greeting"
    assert "network_blocked" in causes(report)
    assert time.monotonic() - started < 3.5


async def test_refused_port(probe_kwargs: dict[str, Any]) -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    free = s.getsockname()[1]
    s.close()
    report = await run_probe("127.0.0.1:25", port_map={25: free}, **probe_kwargs)
    assert report.ports[0].status == "refused"
    assert "wrong_host_or_port" in causes(report)


async def test_connect_timeout_when_backlog_is_full(probe_kwargs: dict[str, Any]) -> None:
    """A listening socket with a full backlog drops SYNs: the client sees a connect time-out."""
    listener, fillers = full_backlog_listener()
    port = listener.getsockname()[1]
    try:
        report = await run_probe("127.0.0.1:2525", port_map={2525: port}, **probe_kwargs)
    finally:
        for f in fillers:
            f.close()
        listener.close()
    p = report.ports[0]
    assert p.status == "timeout"
    assert p.stage == "connect"
    assert "network_blocked" in causes(report)


async def test_all_ports_at_once_take_about_the_slowest(
    smtp_server: ServerFactory, probe_kwargs: dict[str, Any]
) -> None:
    ports = {
        25: await smtp_server("plain", starttls=False),
        465: await smtp_server("implicit"),
        587: await smtp_server("plain"),
        2525: await smtp_server("silent"),
    }
    started = time.monotonic()
    report = await run_probe("127.0.0.1", port_map=ports, **probe_kwargs)
    elapsed = time.monotonic() - started
    assert [p.port for p in report.ports] == [25, 465, 587, 2525]
    assert [p.status for p in report.ports] == ["ok", "ok", "ok", "timeout"]
    assert elapsed < 2 * 1.0 + 0.8  # the silent port's greeting + TLS check, not the sum


async def test_credentials_good_and_bad(smtp_server: ServerFactory, probe_kwargs: dict[str, Any],
                                        kb: KnowledgeBase) -> None:
    port = await smtp_server("plain")
    good = await run_probe(
        "127.0.0.1:587", port_map={587: port}, credentials=(USER, PASSWORD), providers=kb, **probe_kwargs
    )
    bad = await run_probe(
        "127.0.0.1:587", port_map={587: port}, credentials=(USER, "Wr0ng-Pw-7"), providers=kb, **probe_kwargs
    )
    assert good.ports[0].auth is not None
    assert good.ports[0].auth.ok
    assert bad.ports[0].auth is not None
    assert not bad.ports[0].auth.ok
    assert bad.ports[0].auth.code == 535
    assert "bad_credentials" in causes(bad)
    for report in (good, bad):
        assert PASSWORD not in repr(report.to_dict())
        assert "Wr0ng-Pw-7" not in repr(report.to_dict())


async def test_no_mail_commands_are_ever_sent(
    smtp_server: ServerFactory, probe_kwargs: dict[str, Any]
) -> None:
    port = await smtp_server("plain")
    await run_probe("127.0.0.1:587", port_map={587: port}, credentials=(USER, PASSWORD), **probe_kwargs)
    assert smtp_server.handlers[0].commands == []  # type: ignore[attr-defined]


async def test_hostile_banner_is_cleaned_and_capped(
    smtp_server: ServerFactory, probe_kwargs: dict[str, Any]
) -> None:
    banner = b"220 evil\x1b[31m <!channel> \xe2\x80\xae" + b"x" * 2000 + b"\r\n"
    port = await smtp_server("banner", banner=banner)
    report = await run_probe("127.0.0.1:25", port_map={25: port}, **probe_kwargs)
    text = report.ports[0].greeting_text or ""
    assert "\x1b" not in text
    assert "\u202e" not in text
    assert len(text) <= 300
    assert "<!channel>" in text  # escaping is the renderer's job


async def test_endless_line_does_not_hang_or_bloat(
    smtp_server: ServerFactory, probe_kwargs: dict[str, Any]
) -> None:
    port = await smtp_server("banner", banner=b"220-" + b"y" * 20000)
    report = await run_probe("127.0.0.1:25", port_map={25: port}, **probe_kwargs)
    p = report.ports[0]
    assert p.status in ("error", "timeout")
    assert len(p.error or "") <= 200


async def test_loopback_is_refused_without_the_allow_list(smtp_server: ServerFactory) -> None:
    with pytest.raises(TargetNotAllowed):
        await run_probe("127.0.0.1:587", timeout_s=2)


async def test_report_round_trips_through_json(
    smtp_server: ServerFactory, probe_kwargs: dict[str, Any]
) -> None:
    import json

    port = await smtp_server("plain")
    report = await run_probe("127.0.0.1:587", port_map={587: port}, **probe_kwargs)
    again = ProbeReport.from_dict(json.loads(json.dumps(report.to_dict())))
    assert again == report
