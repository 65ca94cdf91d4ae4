"""ProbeReport → findings: what the probe saw, mapped to taxonomy cause ids (../shared/TAXONOMY.md). Pure.

| what the probe saw                                            | cause                      |
|---------------------------------------------------------------|----------------------------|
| NXDOMAIN for the host; every probed port refused              | wrong_host_or_port         |
| bare mail domain (MX, no address) given as the host           | wrong_host_or_port         |
| every probed port timed out (connect or greeting)             | network_blocked            |
| 421 / 4xx greeting; open incident on the provider's feed       | provider_outage            |
| certificate untrusted, expired, self-signed or name mismatch  | tls_handshake_failure      |
| TLS older than 1.2 negotiated                                 | tls_handshake_failure      |
| plaintext greeting on 465, TLS from the first byte on 587     | tls_mismatch               |
| AUTH offered only after STARTTLS; no STARTTLS on 587          | tls_mismatch               |
| no AUTH offered at all on a submission port                   | auth_mechanism_unsupported |
| AUTH refused 535 (534 5.7.9 / 5.7.139 / 454 refine it)        | bad_credentials, ...       |
| sender domain without SPF or DMARC                            | sender_domain_auth         |
| 5xx greeting                                                  | other_smtp                 |

Details are plain sentences; they quote server text already cleaned by the probe.
"""

from __future__ import annotations

from bot.model import Finding
from bot.probe.report import PortResult, ProbeReport
from bot.smtp import LEGACY_TLS_VERSIONS, STARTTLS_PORTS

__all__ = ["findings_for"]


def _auth_finding(p: PortResult) -> Finding | None:
    if p.auth is None or p.auth.ok or p.auth.code is None:
        return None
    code, text = p.auth.code, p.auth.text
    where = f"port {p.port}: AUTH answered {code} {text}".strip()
    if "5.7.9" in text or "application-specific password" in text.lower():
        return Finding(cause="app_password_required", detail=where)
    if (
        "5.7.139" in text
        or "basic authentication" in text.lower()
        or "smtpclientauthentication" in text.lower()
    ):
        return Finding(cause="basic_auth_disabled", detail=where)
    if code == 534 and ("5.7.14" in text or "web browser" in text.lower()):
        return Finding(cause="account_restricted", detail=where)
    if code in (454, 421, 451):
        return Finding(cause="provider_outage", detail=where)
    if code == 504:
        return Finding(cause="auth_mechanism_unsupported", detail=where)
    if code in (535, 534, 530):
        return Finding(cause="bad_credentials", detail=where)
    return None


def _port_findings(p: PortResult) -> list[Finding]:
    out: list[Finding] = []
    if p.wrong_mode == "plaintext_on_implicit":
        out.append(
            Finding(
                cause="tls_mismatch",
                detail=(
                    f"port {p.port} greets in plaintext ({p.greeting_code}); "
                    "implicit TLS (SSL on connect) fails there: "
                    "use STARTTLS on this port, or implicit TLS on a port that offers it"
                ),
            )
        )
    elif p.wrong_mode == "tls_on_starttls_port":
        out.append(
            Finding(
                cause="tls_mismatch",
                detail=(
                    f"port {p.port} expects TLS from the first byte (implicit TLS) "
                    "and stays silent to plaintext: "
                    "turn on SSL/TLS on connect, not STARTTLS"
                ),
            )
        )
    if p.greeting_code is not None and p.wrong_mode is None and p.greeting_code != 220:
        if 400 <= p.greeting_code < 500:
            out.append(
                Finding(
                    cause="provider_outage",
                    detail=(
                        f"port {p.port} greets with {p.greeting_code} (temporary refusal): "
                        f"{p.greeting_text or ''}".strip()
                    ),
                )
            )
        elif p.greeting_code >= 500:
            out.append(
                Finding(
                    cause="other_smtp",
                    detail=(
                        f"port {p.port} refuses the session with {p.greeting_code}: "
                        f"{p.greeting_text or ''}".strip()
                    ),
                )
            )
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
            Finding(cause="tls_handshake_failure", detail=f"port {p.port}: the server certificate {why}")
        )
    if p.tls_version in LEGACY_TLS_VERSIONS:
        out.append(
            Finding(
                cause="tls_handshake_failure",
                detail=(
                    f"port {p.port} negotiates only {p.tls_version}; current clients require TLS 1.2 or later"
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
            Finding(
                cause="tls_mismatch",
                detail=(f"port {p.port} does not offer STARTTLS: the connection cannot be encrypted there"),
            )
        )
    if p.status == "ok" and p.auth_after_tls and not p.auth_before_tls and p.tls == "starttls":
        out.append(
            Finding(
                cause="tls_mismatch",
                detail=(
                    f"port {p.port} offers AUTH ({' '.join(p.auth_after_tls)}) only after STARTTLS: "
                    "the client must turn STARTTLS on before logging in"
                ),
                decisive=False,  # normal for a healthy server; it explains "AUTH not supported" pastes
            )
        )
    if p.status == "ok" and p.port in (465, 587) and not p.auth_mechanisms and p.tls != "none":
        out.append(
            Finding(
                cause="auth_mechanism_unsupported",
                detail=(f"port {p.port} offers no AUTH mechanism, even over TLS"),
            )
        )
    if (auth := _auth_finding(p)) is not None:
        out.append(auth)
    return out


def findings_for(report: ProbeReport) -> tuple[Finding, ...]:
    """The findings of a report, most decisive first, without duplicates."""
    out: list[Finding] = []
    dns = report.dns
    if dns.status == "nxdomain":
        out.append(
            Finding(cause="wrong_host_or_port", detail=f"{report.host} does not exist in DNS (NXDOMAIN)")
        )
    elif dns.status in ("servfail", "timeout") and not report.addresses:
        out.append(
            Finding(
                cause="wrong_host_or_port",
                detail=(
                    f"{report.host} could not be resolved ({dns.status}); the domain's DNS may be broken"
                ),
            )
        )
    elif dns.status == "nodata" and dns.mx:
        out.append(
            Finding(
                cause="wrong_host_or_port",
                detail=(
                    f"{report.host} is a mail domain, not a server: it has no address, "
                    f"its MX is {dns.mx[0][1]}; "
                    "use the provider's submission host"
                ),
            )
        )
    if report.status_feed is not None and report.status_feed.incident:
        titles = "; ".join(report.status_feed.titles) or "open incident"
        out.append(Finding(cause="provider_outage", detail=f"{report.status_feed.provider} status: {titles}"))
    ports = report.ports
    if ports and all(p.status == "timeout" for p in ports):
        connect = all(p.stage == "connect" for p in ports)
        names = ", ".join(str(p.port) for p in ports)
        out.append(
            Finding(
                cause="network_blocked",
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
            Finding(cause="wrong_host_or_port", detail=f"connection refused on port {names}: nothing listens")
        )
    for p in ports:
        out.extend(_port_findings(p))
    if dns.sender_domain:
        for kind, verdict in (("SPF", dns.spf_verdict), ("DMARC", dns.dmarc_verdict)):
            if verdict and verdict.startswith(("missing", "broken", "open")):
                out.append(
                    Finding(cause="sender_domain_auth", detail=f"{dns.sender_domain} {kind}: {verdict}")
                )
    seen: set[tuple[str, str]] = set()
    unique = []
    for f in out:
        if (f.cause, f.detail) not in seen:
            seen.add((f.cause, f.detail))
            unique.append(f)
    # Faults first: a note about a healthy server never heads the list (sorted() keeps each group's order).
    return tuple(sorted(unique, key=lambda f: not f.decisive))
