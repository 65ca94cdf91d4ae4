"""A tiny authoritative-looking DNS server on 127.0.0.1 (UDP) for the probe's DNS tests.

Zone: {name: {rdtype: [rdata text]}}. Names listed in `servfail` answer SERVFAIL, names in `silent` never
answer (time-out), names absent from the zone answer NXDOMAIN, present names without the type answer NOERROR
with no data.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

__all__ = ["DnsStub", "start_dns_stub"]


class DnsStub(asyncio.DatagramProtocol):
    """Answers from a fixed zone."""

    def __init__(
        self, zone: Mapping[str, Mapping[str, Sequence[str]]], servfail: Sequence[str], silent: Sequence[str]
    ) -> None:
        self.zone = {k.lower().rstrip("."): v for k, v in zone.items()}
        self.servfail = {n.lower().rstrip(".") for n in servfail}
        self.silent = {n.lower().rstrip(".") for n in silent}
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        query = dns.message.from_wire(data)
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        if name in self.silent:
            return
        response = dns.message.make_response(query)
        if name in self.servfail:
            response.set_rcode(dns.rcode.SERVFAIL)
        elif name not in self.zone:
            response.set_rcode(dns.rcode.NXDOMAIN)
        else:
            rdtype = dns.rdatatype.to_text(question.rdtype)
            records = self.zone[name].get(rdtype, ())
            if records:
                response.answer.append(
                    dns.rrset.from_text_list(question.name, 60, "IN", rdtype, list(records))
                )
        self.transport.sendto(response.to_wire(), addr)


async def start_dns_stub(
    zone: Mapping[str, Mapping[str, Sequence[str]]],
    *,
    servfail: Sequence[str] = (),
    silent: Sequence[str] = (),
) -> tuple[Any, int]:
    """(transport, port) of a stub server on 127.0.0.1."""
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: DnsStub(zone, servfail, silent), local_addr=("127.0.0.1", 0)
    )
    return transport, transport.get_extra_info("sockname")[1]
