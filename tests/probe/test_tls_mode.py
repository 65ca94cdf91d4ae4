"""run_probe(tls_mode=...) (`smtp-help probe --tls`): one TLS mode forced on every port, within the same guards."""

from __future__ import annotations

from typing import Any

import pytest

from bot.errors import InputError, TargetNotAllowed
from bot.probe import run_probe
from tests.probe.conftest import PASSWORD, USER, Handler, ServerFactory


async def test_none_never_upgrades_and_never_sends_credentials(
    smtp_server: ServerFactory, probe_kwargs: dict[str, Any]
) -> None:
    handler = Handler()
    port = await smtp_server("plain", handler=handler)
    report = await run_probe("127.0.0.1:587", port_map={587: port}, tls_mode="none", credentials=(USER, PASSWORD),
                             **probe_kwargs)
    p = report.ports[0]
    assert (p.status, p.tls, p.expected_tls, p.extensions_tls) == ("ok", "none", "none", {})
    assert "starttls" in p.extensions  # offered, and not taken
    assert p.auth is None  # nothing was tried: credentials never travel without TLS
    assert not any(line.startswith("-> STARTTLS") or line.startswith("-> AUTH") for line in p.dialogue)
    assert handler.commands == []  # no MAIL, no RCPT either
    assert "tls_mismatch" not in {f.cause for f in report.findings}  # no "no STARTTLS" fault for a forced mode


async def test_starttls_forced_on_465(smtp_server: ServerFactory, probe_kwargs: dict[str, Any]) -> None:
    port = await smtp_server("plain")
    report = await run_probe("127.0.0.1:465", port_map={465: port}, tls_mode="starttls", **probe_kwargs)
    p = report.ports[0]
    assert (p.status, p.tls, p.expected_tls, p.wrong_mode) == ("ok", "starttls", "starttls", None)


async def test_implicit_forced_on_587_against_an_implicit_server(
    smtp_server: ServerFactory, probe_kwargs: dict[str, Any]
) -> None:
    port = await smtp_server("implicit")
    report = await run_probe("127.0.0.1:587", port_map={587: port}, tls_mode="implicit", **probe_kwargs)
    p = report.ports[0]
    assert (p.status, p.tls, p.expected_tls) == ("ok", "implicit", "implicit")


async def test_forced_mode_applies_to_every_port(smtp_server: ServerFactory, probe_kwargs: dict[str, Any]) -> None:
    port = await smtp_server("plain")
    report = await run_probe("127.0.0.1", ports=[587, 465], port_map={587: port, 465: port}, tls_mode="none",
                             **probe_kwargs)
    assert [(p.port, p.tls, p.expected_tls) for p in report.ports] == [(587, "none", "none"), (465, "none", "none")]


@pytest.mark.parametrize("mode", ["ssl", "", "STARTTLS ", "tls"])
async def test_bad_mode_is_refused_before_any_packet(mode: str) -> None:
    with pytest.raises(InputError, match="TLS mode must be one of starttls, implicit, none"):
        await run_probe("127.0.0.1:587", tls_mode=mode, timeout_s=1)


async def test_guards_still_apply(probe_kwargs: dict[str, Any]) -> None:
    with pytest.raises(TargetNotAllowed):
        await run_probe("10.0.0.1:587", tls_mode="none", timeout_s=1)
    with pytest.raises(TargetNotAllowed):
        await run_probe("127.0.0.1:22", tls_mode="none", **probe_kwargs)
