"""Against a slow lab (greeting 0.8 s, each reply 0.4 s), the probe costs no round trip the findings do not need."""

from __future__ import annotations

import ipaddress
from typing import Any

from bot.probe import run_probe
from tests.probe.conftest import Certs
from tests.probe.slowlab import port_of, start_slow_servers

STARTTLS_OWN_S = 0.8 + 3 * 0.4  # greeting, EHLO, STARTTLS, EHLO: the handshake's own round trips
IMPLICIT_OWN_S = 0.8 + 0.4      # greeting, EHLO


async def test_ports_cost_their_own_round_trips_and_run_together(certs: Certs) -> None:
    servers = await start_slow_servers(certs.good)
    try:
        kw: dict[str, Any] = {
            "allow_networks": (ipaddress.ip_network("127.0.0.0/8"),),
            "ca_file": certs.ca_file,
            "timeout_s": 8.0,
            "port_map": {587: port_of(servers["starttls"]), 465: port_of(servers["implicit"])},
        }
        one = await run_probe("127.0.0.1", ports=[587], **kw)
        both = await run_probe("127.0.0.1", ports=[587, 465], **kw)
    finally:
        for s in servers.values():
            s.close()
    p587 = one.port(587)
    assert p587 is not None
    assert p587.status == "ok"
    assert p587.tls == "starttls"
    # no QUIT round trip, no second connection: within 1.15 x the handshake's own round trips
    assert one.timings["total"] <= 1.15 * STARTTLS_OWN_S * 1000
    assert set(p587.timings) >= {"connect", "greeting", "ehlo", "starttls", "ehlo_tls"}
    assert p587.timings["greeting"] >= 750
    assert p587.timings["starttls"] >= 350
    assert "quit" not in p587.timings  # QUIT is said, never waited for
    p465 = both.port(465)
    assert p465 is not None
    assert p465.status == "ok"
    assert p465.tls == "implicit"
    assert both.timings["total"] <= 1.15 * STARTTLS_OWN_S * 1000  # the ports overlap
    assert both.to_dict()["timings"]["ports"] > 0
    assert "timings" in both.to_dict()["ports"][0]
