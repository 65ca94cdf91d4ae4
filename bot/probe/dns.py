"""DNS for the probe (dnspython, async): A/AAAA for the host, MX for a bare mail domain, SPF/DMARC of the
sender.

Outcomes are told apart, because they mean different things to the user: NXDOMAIN (the name does not exist),
SERVFAIL (the domain's DNS is broken), time-out (no answer at all), no data (the name exists, no address).
The resolver is built from SMTP_HELP_PROBE_DNS_SERVERS (security.md S8: a public recursive resolver, not the
platform's) by every probe path through `configured_nameservers(settings)`: `smtp-help probe`, `diagnose
--probe`, the Slack app and the worker (bot.probe.runner.probe_now); or it is handed in by the caller. Entries are
IP addresses, optionally with a port (`192.0.2.53:5353`, `[2001:db8::53]:53`); tests use a stub DNS server on
loopback.
`spf_verdict()` and `dmarc_verdict()` are pure.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from typing import Any

import dns.asyncresolver
import dns.exception
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver

from bot.errors import ConfigError
from bot.probe.report import DnsFacts, clean_text
from bot.probe.targets import IPAddress

__all__ = [
    "DNS_SERVERS_SETTING",
    "FeedResolver",
    "configured_nameservers",
    "dmarc_verdict",
    "feed_resolver",
    "lookup_host",
    "lookup_sender",
    "make_resolver",
    "spf_verdict",
]

MAX_ADDRESSES = 8
MAX_MX = 5


DNS_SERVERS_SETTING = "SMTP_HELP_PROBE_DNS_SERVERS"


def _nameserver(entry: str, default_port: int) -> dns.nameserver.Do53Nameserver:
    """`192.0.2.53`, `192.0.2.53:5353`, `2001:db8::53` or `[2001:db8::53]:5353` (ASCII digits only)."""
    host, port_text = entry, ""
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else rest
    elif entry.count(":") == 1:
        host, _, port_text = entry.partition(":")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ConfigError(DNS_SERVERS_SETTING, f"{entry[:60]!r} is not an IP address") from None
    if port_text and not (port_text.isascii() and port_text.isdigit() and 1 <= int(port_text) <= 65535):
        raise ConfigError(DNS_SERVERS_SETTING, f"{entry[:60]!r} has no valid port")
    return dns.nameserver.Do53Nameserver(str(address), int(port_text) if port_text else default_port)


def configured_nameservers(settings: object) -> tuple[str, ...]:
    """The resolvers SMTP_HELP_PROBE_DNS_SERVERS names (comma-separated), checked; () means the system's."""
    extra = getattr(settings, "extra", None) or {}
    entries = tuple(e.strip() for e in str(extra.get(DNS_SERVERS_SETTING, "")).split(",") if e.strip())
    for entry in entries:
        _nameserver(entry, 53)  # ConfigError now rather than at the first probe
    return entries


def make_resolver(
    *, nameservers: Sequence[str] = (), port: int = 53, timeout: float = 2.0, lifetime: float = 4.0
) -> dns.asyncresolver.Resolver:
    """An async resolver: the given nameservers (each may carry its own port), or the system's when none."""
    if nameservers:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [_nameserver(entry, port) for entry in nameservers]
        resolver.port = port
    else:
        resolver = dns.asyncresolver.Resolver()
    resolver.timeout = timeout
    resolver.lifetime = lifetime
    resolver.cache = None
    return resolver


async def _query(
    resolver: dns.asyncresolver.Resolver, name: str, rdtype: str, lifetime: float
) -> tuple[str, list[object]]:
    """('ok'|'nxdomain'|'servfail'|'timeout'|'nodata'|'error', rdata list)."""
    try:
        answer = await resolver.resolve(name, rdtype, lifetime=lifetime, search=False)
    except dns.resolver.NXDOMAIN:
        return "nxdomain", []
    except dns.resolver.NoAnswer:
        return "nodata", []
    except dns.resolver.NoNameservers:
        return "servfail", []
    except (dns.resolver.LifetimeTimeout, dns.exception.Timeout):
        return "timeout", []
    except (dns.exception.DNSException, OSError, ValueError):
        return "error", []
    return "ok", list(answer)


def _combine(*statuses: str) -> str:
    for wanted in ("ok", "nxdomain", "servfail", "timeout", "error"):
        if wanted in statuses:
            return wanted
    return "nodata"


async def _no_mx() -> tuple[str, list[object]]:
    return "nodata", []


async def lookup_host(
    host: str, *, resolver: dns.asyncresolver.Resolver, lifetime: float = 4.0, with_mx: bool = True
) -> tuple[DnsFacts, tuple[IPAddress, ...]]:
    """Resolve A and AAAA (and MX, for a bare mail domain, unless `with_mx` is False) at once; one answer, used for
    the whole probe."""
    (a_status, a), (aaaa_status, aaaa), (mx_status, mx) = await asyncio.gather(
        _query(resolver, host, "A", lifetime),
        _query(resolver, host, "AAAA", lifetime),
        _query(resolver, host, "MX", lifetime) if with_mx else _no_mx(),
    )
    addresses: list[IPAddress] = []
    for rdata in a + aaaa:
        try:
            ip = ipaddress.ip_address(rdata.to_text())  # type: ignore[attr-defined]
        except ValueError:
            continue
        if ip not in addresses:
            addresses.append(ip)
    status = _combine(a_status, aaaa_status)
    if status == "nxdomain" and "nxdomain" not in (a_status, aaaa_status):
        status = "nodata"
    mx_hosts = sorted(
        (int(r.preference), clean_text(r.exchange.to_text(omit_final_dot=True), 253))  # type: ignore[attr-defined]
        for r in mx
    )[:MAX_MX]
    facts = DnsFacts(
        status=status,
        addresses=tuple(str(a) for a in addresses[:MAX_ADDRESSES]),
        mx=tuple(mx_hosts),
        mx_status=mx_status,
    )
    return facts, tuple(addresses[:MAX_ADDRESSES])


def _txt(rdata: object) -> str:
    strings = getattr(rdata, "strings", ())
    return b"".join(strings).decode("utf-8", "replace")


def spf_verdict(records: Sequence[str], status: str = "ok") -> str:
    """One line on the domain's SPF record(s)."""
    spf = [r for r in records if r.lower().startswith("v=spf1")]
    if status in ("servfail", "timeout", "error"):
        return f"could not read SPF ({status})"
    if not spf:
        return "missing: no SPF record, receivers cannot tell which servers may send for this domain"
    if len(spf) > 1:
        return "broken: more than one SPF record (permerror; receivers ignore both)"
    terms = spf[0].lower().split()
    alls = [t for t in terms if t.lstrip("+-~?") == "all"]
    if not alls:
        redirect = any(t.startswith("redirect=") for t in terms)
        return "delegated with redirect=" if redirect else "no 'all' term: mail from other servers is neutral"
    qualifier = alls[-1][0] if alls[-1][0] in "+-~?" else "+"
    return {
        "-": "strict (-all): only the listed servers may send",
        "~": "soft (~all): other servers soft-fail",
        "?": "neutral (?all): no policy for other servers",
        "+": "open (+all): any server may send as this domain",
    }[qualifier]


def dmarc_verdict(records: Sequence[str], status: str = "ok") -> str:
    """One line on the domain's DMARC policy."""
    dmarc = [r for r in records if r.lower().replace(" ", "").startswith("v=dmarc1")]
    if status in ("servfail", "timeout", "error"):
        return f"could not read DMARC ({status})"
    if not dmarc:
        return "missing: no DMARC record (Gmail and Yahoo require one for bulk senders)"
    if len(dmarc) > 1:
        return "broken: more than one DMARC record (ignored by receivers)"
    tags = dict(part.strip().split("=", 1) for part in dmarc[0].split(";") if "=" in part)
    policy = tags.get("p", "").strip().lower()
    return {
        "reject": "p=reject: failing mail is refused",
        "quarantine": "p=quarantine: failing mail goes to spam",
        "none": "p=none: monitoring only",
    }.get(policy, "no valid p= policy")


async def lookup_sender(
    domain: str, *, resolver: dns.asyncresolver.Resolver, lifetime: float = 4.0
) -> dict[str, str | None]:
    """SPF and DMARC records of the sender's domain, with one-line verdicts."""
    (spf_status, spf), (dmarc_status, dmarc) = await asyncio.gather(
        _query(resolver, domain, "TXT", lifetime), _query(resolver, f"_dmarc.{domain}", "TXT", lifetime)
    )
    spf_texts = [_txt(r) for r in spf]
    dmarc_texts = [_txt(r) for r in dmarc]
    spf_record = next((t for t in spf_texts if t.lower().startswith("v=spf1")), None)
    dmarc_record = next((t for t in dmarc_texts if t.lower().replace(" ", "").startswith("v=dmarc1")), None)
    return {
        "sender_domain": domain,
        "spf": clean_text(spf_record, 400) if spf_record else None,
        "spf_verdict": spf_verdict(spf_texts, spf_status if spf_status != "nodata" else "ok"),
        "dmarc": clean_text(dmarc_record, 400) if dmarc_record else None,
        "dmarc_verdict": dmarc_verdict(
            dmarc_texts, dmarc_status if dmarc_status not in ("nodata", "nxdomain") else "ok"
        ),
    }


class FeedResolver:
    """An aiohttp resolver backed by the probe's dnspython resolver, so the provider status-feed fetch asks the
    configured servers too (SMTP_HELP_PROBE_DNS_SERVERS), not the system resolver. Built by `feed_resolver()`."""

    def __init__(self, resolver: dns.asyncresolver.Resolver, lifetime: float) -> None:
        self._resolver = resolver
        self._lifetime = lifetime

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        wanted: tuple[str, ...] = ("A",) if family == socket.AF_INET else ("AAAA",) if family == socket.AF_INET6 \
            else ("A", "AAAA")
        for rdtype in wanted:
            outcome, rdata = await _query(self._resolver, host, rdtype, self._lifetime)
            for item in rdata if outcome == "ok" else ():
                address = str(getattr(item, "address", item))
                out.append({"hostname": host, "host": address, "port": port, "proto": 0, "flags": 0,
                            "family": socket.AF_INET6 if ":" in address else socket.AF_INET})
        if not out:
            raise OSError(f"{host[:60]} did not resolve")
        return out

    async def close(self) -> None:
        """Nothing to release."""


def feed_resolver(resolver: dns.asyncresolver.Resolver, lifetime: float = 3.0) -> Any:
    """`FeedResolver` registered as an aiohttp AbstractResolver (imported here, not at module load)."""
    import aiohttp.abc

    aiohttp.abc.AbstractResolver.register(FeedResolver)
    return FeedResolver(resolver, lifetime)
