"""ProbeReport → findings: what the probe saw, mapped to taxonomy cause ids. Pure (reads knowledge/probe.yaml once).

This module detects observations in a report (NXDOMAIN, every port timed out, plaintext on 465, an untrusted
certificate, …); what each observation means is data, in knowledge/probe.yaml. A refused AUTH is classified by
the same engine as a pasted error (bot.diagnose with the knowledge base), so the cause files own every reply
code. Details are plain sentences; they quote server text already cleaned by the probe.
"""

from __future__ import annotations

from functools import cache, partial
from pathlib import Path

import yaml

from bot.diagnose import diagnose
from bot.errors import KnowledgeBaseError
from bot.kb.model import KnowledgeBase
from bot.model import Finding
from bot.probe.report import UNREADABLE_REPLY, PortResult, ProbeReport
from bot.settings import DEFAULT_KNOWLEDGE_DIR
from bot.smtp import AUTH_PORTS, LEGACY_TLS_VERSIONS, STARTTLS_PORTS, ReplyCode, is_permanent, is_transient

__all__ = ["TABLE", "findings_for", "observations"]

TABLE = "probe.yaml"


@cache
def observations(directory: Path = DEFAULT_KNOWLEDGE_DIR) -> dict[str, tuple[str, bool]]:
    """knowledge/probe.yaml: observation id -> (cause id, decisive)."""
    path = Path(directory) / TABLE
    try:
        rows = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("observations") or {}
        return {str(k): (str(v["cause"]), bool(v.get("decisive", True))) for k, v in rows.items()}
    except (OSError, yaml.YAMLError, AttributeError, KeyError, TypeError) as exc:
        raise KnowledgeBaseError(f"knowledge/{TABLE}", "observations", f"cannot be read ({exc})") from exc


def _seen(observation: str, *, detail: str, table: dict[str, tuple[str, bool]]) -> Finding:
    cause, decisive = table[observation]
    return Finding(cause=cause, detail=detail, decisive=decisive)


def _documented_host(kb: KnowledgeBase | None, provider: str, host: str) -> bool:
    """True if the provider's own file names this exact host (recognise.hosts or a submission entry)."""
    entry = kb.providers.get(provider) if kb is not None else None
    if entry is None:
        return False
    named = {h.lower() for h in entry.hosts}
    named |= {str(row.get("host", "")).lower() for row in entry.data.get("submission") or () if isinstance(row, dict)}
    return host.lower().rstrip(".") in named


def _auth_finding(p: PortResult, kb: KnowledgeBase | None) -> Finding | None:
    """A refused AUTH, read by the classifier like a pasted reply; None without a knowledge base to read it."""
    if p.auth is None or p.auth.ok or p.auth.code is None or kb is None:
        return None
    reply = f"{p.auth.code} {p.auth.text}".strip()
    d = diagnose(reply, kb=kb)
    if not (d.is_smtp and d.top):
        return None
    return Finding(cause=d.top.id, detail=f"port {p.port}: AUTH answered {reply}")


def _where(p: PortResult) -> str:
    """'port 587', or 'smtp.example.com port 587' for a host other than the target (a mail domain's)."""
    return f"{p.host} port {p.port}" if p.host else f"port {p.port}"


def _port_findings(p: PortResult, table: dict[str, tuple[str, bool]], kb: KnowledgeBase | None) -> list[Finding]:
    observe = partial(_seen, table=table)
    out: list[Finding] = []
    if p.wrong_mode == "plaintext_on_implicit":
        out.append(
            observe("plaintext_on_implicit",
                detail=(
                    f"{_where(p)} greets in plaintext ({p.greeting_code}); "
                    "implicit TLS (SSL on connect) fails there: "
                    "use STARTTLS on this port, or implicit TLS on a port that offers it"
                ),
            )
        )
    elif p.wrong_mode == "tls_on_starttls_port":
        out.append(
            observe("tls_on_starttls_port",
                detail=(
                    f"{_where(p)} expects TLS from the first byte (implicit TLS) "
                    "and stays silent to plaintext: "
                    "turn on SSL/TLS on connect, not STARTTLS"
                ),
            )
        )
    if p.status == "error" and (p.error or "").startswith(UNREADABLE_REPLY):
        out.append(observe("unreadable_reply", detail=(
            f"{_where(p)} answered during {p.stage or 'the session'} with something that is not an SMTP reply "
            f"({p.error}): another service or a middlebox listens there"
        )))
    code = p.greeting_code
    if code is not None and p.wrong_mode is None and code != ReplyCode.ready:
        said = f"{code}: {p.greeting_text or ''}".strip()
        if is_transient(code):
            out.append(observe("greeting_transient", detail=f"{_where(p)} greets with {said} (temporary refusal)"))
        elif is_permanent(code):
            out.append(observe("greeting_permanent", detail=f"{_where(p)} refuses the session with {said}"))
    cert = p.cert
    if cert is not None and not cert.trusted:
        if cert.expired:
            why = f"expired on {cert.not_after[:10]}"
        elif cert.hostname_match is False:
            names = ", ".join(cert.sans[:4]) or cert.subject or "other names"
            why = f"is not valid for this host name (it names {names})"
        elif cert.subject and cert.subject == cert.issuer:
            why = "is self-signed"
        else:
            why = f"is not trusted ({cert.error or 'unknown issuer'})"
        out.append(
            observe("certificate_not_trusted", detail=f"{_where(p)}: the server certificate {why}")
        )
    if p.tls_version in LEGACY_TLS_VERSIONS:
        out.append(
            observe("legacy_tls_only",
                detail=(
                    f"{_where(p)} offers only {p.tls_version} (a handshake requiring TLS 1.2 or later failed): "
                    "current clients (OpenSSL 3, .NET, Java, Node.js, PHP) cannot connect until the server "
                    "enables TLS 1.2"
                    if p.tls_permissive
                    else f"{_where(p)} negotiates only {p.tls_version}; current clients require TLS 1.2 or later"
                ),
            )
        )
    elif p.tls_permissive:
        out.append(
            observe("weak_tls_cipher_only",
                detail=(
                    f"{_where(p)} offers only old ciphers ({p.tls_cipher or 'unknown'} on {p.tls_version}): "
                    "current clients find no cipher in common"
                ),
            )
        )
    if cert is not None and cert.weak_key:
        out.append(
            observe("weak_certificate_key",
                detail=(
                    f"{_where(p)}: the certificate's key is {cert.key_type} {cert.key_bits} bits; current clients "
                    f"refuse {'EC keys under 224' if cert.key_type == 'EC' else 'keys under 2048'} bits "
                    "('EE certificate key too weak')"
                ),
            )
        )
    if cert is not None and cert.weak_signature:
        out.append(
            observe("weak_certificate_signature",
                detail=(
                    f"{_where(p)}: the certificate is signed with {(cert.signature_hash or '').upper()}; "
                    "current clients refuse SHA-1 and MD5 signatures ('ca md too weak')"
                ),
            )
        )
    if (
        p.status == "ok"
        and p.expected_tls == "starttls"
        and p.port in STARTTLS_PORTS
        and p.tls == "none"
        and "starttls" not in p.extensions
    ):
        out.append(
            observe("no_starttls",
                detail=(f"{_where(p)} does not offer STARTTLS: the connection cannot be encrypted there"),
            )
        )
    if p.status == "ok" and p.auth_after_tls and not p.auth_before_tls and p.tls == "starttls":
        out.append(
            observe("auth_only_after_tls",
                detail=(
                    f"{_where(p)} offers AUTH ({' '.join(p.auth_after_tls)}) only after STARTTLS: "
                    "the client must turn STARTTLS on before logging in"
                ),
            )
        )
    if p.status == "ok" and p.port in AUTH_PORTS and not p.auth_mechanisms and p.tls != "none":
        out.append(
            observe("no_auth_offered",
                detail=(f"{_where(p)} offers no AUTH mechanism, even over TLS"),
            )
        )
    if (auth := _auth_finding(p, kb)) is not None:
        out.append(auth)
    return out


def _address_findings(ports: tuple[PortResult, ...], table: dict[str, tuple[str, bool]]) -> list[Finding]:
    """Some addresses of the host connect and others do not, on the same port: one finding per family that fails
    whole ("IPv6 broken, IPv4 fine"), one for addresses failing beside working ones of their own family."""
    observe = partial(_seen, table=table)
    family_down: dict[str, dict[str, str]] = {}  # family -> {address: status}
    family_ports: dict[str, list[str]] = {}
    working: dict[str, set[str]] = {}
    partly: dict[str, str] = {}
    partly_ports: list[str] = []
    for p in ports:
        ok = [a for a in p.addresses if a.status == "ok"]
        bad = [a for a in p.addresses if a.status != "ok"]
        if not ok or not bad:
            continue
        for family in ("IPv6", "IPv4"):
            mine = [a for a in p.addresses if a.family == family]
            if mine and not any(a.status == "ok" for a in mine):
                family_down.setdefault(family, {}).update({a.address: a.status for a in mine})
                family_ports.setdefault(family, []).append(str(p.port))
                working.setdefault(family, set()).update(a.address for a in ok)
            elif mine:
                lost = {a.address: a.status for a in mine if a.status != "ok"}
                if lost:
                    partly.update(lost)
                    partly_ports.append(str(p.port))
    out: list[Finding] = []
    for family, down in family_down.items():
        other = "IPv4" if family == "IPv6" else "IPv6"
        failed = ", ".join(f"{a} {status}" for a, status in list(down.items())[:3])
        fine = ", ".join(sorted(working[family])[:3])
        detail = (f"{family} does not connect on port {', '.join(dict.fromkeys(family_ports[family]))} "
                  f"({failed}) while {other} does ({fine}): a client that tries {family} first and does not "
                  f"fall back times out; fix the {family} route or firewall, or the host's "
                  f"{'AAAA' if family == 'IPv6' else 'A'} record, or make the client use {other}")
        out.append(observe("ipv6_broken", detail=detail) if family == "IPv6" else observe("ipv4_broken", detail=detail))
    if partly:
        failed = ", ".join(f"{a} {status}" for a, status in list(partly.items())[:3])
        out.append(observe("address_unreachable",
            detail=(f"some addresses of the host do not connect on port {', '.join(dict.fromkeys(partly_ports))} "
                    f"({failed}) while others do: a client that picks one of them fails now and then"),
        ))
    return out


def findings_for(report: ProbeReport, *, kb: KnowledgeBase | None = None) -> tuple[Finding, ...]:
    """The findings of a report, most decisive first, without duplicates. `kb` reads refused AUTH replies and
    locates knowledge/probe.yaml (default: the repository's knowledge/)."""
    table = observations(Path(kb.directory) if kb is not None else DEFAULT_KNOWLEDGE_DIR)
    observe = partial(_seen, table=table)
    out: list[Finding] = []
    dns = report.dns
    if dns.status == "nxdomain" and report.provider and _documented_host(kb, report.provider, report.host):
        out.append(
            observe("provider_host_nxdomain",
                detail=(
                    f"{report.host} is the host {report.provider} documents, yet this machine's DNS says it does not "
                    "exist (NXDOMAIN): the local resolver, a DNS filter or a hosts/VPN setting is at fault, not the "
                    "host name"
                ),
            )
        )
    elif dns.status == "nxdomain":
        out.append(
            observe("nxdomain", detail=f"{report.host} does not exist in DNS (NXDOMAIN)")
        )
    elif dns.status in ("servfail", "timeout") and not report.addresses:
        out.append(
            observe("dns_unresolvable",
                detail=(
                    f"{report.host} could not be resolved ({dns.status}); the domain's DNS may be broken"
                ),
            )
        )
    elif dns.status == "nodata" and dns.mx:
        out.append(
            observe("mail_domain_not_server",
                detail=(
                    f"{report.host} is a mail domain, not a server: it has no address, "
                    f"its MX is {dns.mx[0][1]}; "
                    "use the provider's submission host"
                ),
            )
        )
    if report.status_feed is not None and report.status_feed.incident:
        titles = "; ".join(report.status_feed.titles) or "open incident"
        out.append(observe("status_feed_incident", detail=f"{report.status_feed.provider} status: {titles}"))
    ports = tuple(p for p in report.ports if p.role != "mx")  # an MX is not a submission port: its own findings
    mx = tuple(p for p in report.ports if p.role == "mx" and p.addresses)
    if mx and all(p.status in ("timeout", "unreachable") and p.stage == "connect" for p in mx):
        out.append(
            observe("mx_port25_blocked",
                detail=(
                    f"the MX of {report.host} ({', '.join(p.host or '?' for p in mx)}) does not answer on port 25 "
                    "from here: outbound port 25 is blocked on many cloud and ISP networks; send through the "
                    "provider's submission host on 587 or 465 instead"
                ),
            )
        )
    if ports and all(p.status == "timeout" for p in ports):
        connect = all(p.stage == "connect" for p in ports)
        names = ", ".join(str(p.port) for p in ports)
        out.append(
            observe("all_ports_timed_out",
                detail=(
                    f"no answer on port {names}: the connection is dropped on the way "
                    "(firewall, ISP or cloud egress block)"
                    if connect
                    else f"port {names} accepted the connection but never greeted: something in between "
                    "(firewall, antivirus, proxy) holds the connection"
                ),
            )
        )
    elif ports and all(p.status == "refused" for p in ports):
        names = ", ".join(str(p.port) for p in ports)
        out.append(
            observe("all_ports_refused", detail=f"connection refused on port {names}: nothing listens")
        )
    for p in ports:  # not the MX: an MX's certificate or plaintext greeting is for other servers, not for clients
        out.extend(_port_findings(p, table, kb))
    out.extend(_address_findings(ports, table))
    if dns.sender_domain:
        for kind, verdict in (("SPF", dns.spf_verdict), ("DMARC", dns.dmarc_verdict)):
            if verdict and verdict.startswith(("missing", "broken", "open")):
                out.append(
                    observe("sender_domain_unprotected", detail=f"{dns.sender_domain} {kind}: {verdict}")
                )
    seen: set[tuple[str, str]] = set()
    unique = []
    for f in out:
        if (f.cause, f.detail) not in seen:
            seen.add((f.cause, f.detail))
            unique.append(f)
    # Faults first: a note about a healthy server never heads the list (sorted() keeps each group's order).
    return tuple(sorted(unique, key=lambda f: not f.decisive))
