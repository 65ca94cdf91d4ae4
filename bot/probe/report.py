"""What a live probe saw: frozen dataclasses with a stable JSON shape.

`ProbeReport.to_dict()` is the `--json` output of `smtp-help probe`, the payload the Slack app renders as a
per-port table, and what the job queue carries; `ProbeReport.from_dict()` reads it back unchanged.

    {
      "target": str,            # what the user asked for, credentials redacted
      "host": str,              # ASCII host name (IDN as xn--) or IP literal
      "provider": str | null,   # knowledge/providers id when the host is recognised
      "addresses": [str, ...],  # validated addresses, the first one is the one probed
      "duration_ms": float,
      "dns": {"status": "ok"|"nxdomain"|"servfail"|"timeout"|"nodata"|"literal"|"error",
              "addresses": [...], "mx": [{"preference": int, "host": str}], "mx_status": str|null,
              "sender_domain": str|null, "spf": str|null, "spf_verdict": str|null,
              "dmarc": str|null, "dmarc_verdict": str|null, "error": str|null},
      "ports": [{
          "port": int,                          # the submission port asked about (25, 465, 587, 2525)
          "status": "ok"|"refused"|"timeout"|"unreachable"|"error",
          "tls": "implicit"|"starttls"|"none",  # the TLS actually negotiated
          "expected_tls": "implicit"|"starttls",
          "address": str|null, "connect_ms": float|null,
          "greeting_code": int|null, "greeting_text": str|null, "greeting_ms": float|null,
          "extensions": {name: params},         # EHLO keywords, lower case, before TLS (or on implicit TLS)
          "extensions_tls": {name: params},     # EHLO keywords after STARTTLS
          "auth_before_tls": [mech], "auth_after_tls": [mech],
          "tls_version": str|null, "tls_cipher": str|null,
          "cert": null | {"subject": str, "issuer": str, "sans": [str], "not_before": str, "not_after": str,
                          "trusted": bool, "hostname_match": bool|null, "expired": bool, "error": str|null},
          "wrong_mode": null | "plaintext_on_implicit" | "tls_on_starttls_port",
          "stage": null | "connect"|"tls"|"greeting"|"ehlo"|"starttls"|"auth",  # where it stopped
          "error": str|null,                    # short, control characters stripped
          "auth": null | {"ok": bool, "code": int|null, "text": str,   # only with out-of-band credentials
                          "mechanism": "PLAIN"|"LOGIN"|null}             # null: AUTH was not attempted
      }],
      "status_feed": null | {"provider": str, "page": str|null, "ok": bool, "incident": bool,
                             "titles": [str], "error": str|null},
      "findings": [{"cause": <taxonomy id>, "detail": str, "decisive": bool}]
    }

Server-controlled text (greetings, replies, certificate names) is stored with control characters removed
and length capped, never escaped: renderers escape for their medium.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.model import Finding
from bot.text import strip_controls

__all__ = [
    "MAX_TEXT",
    "AuthResult",
    "CertInfo",
    "DnsFacts",
    "PortResult",
    "ProbeReport",
    "StatusFeed",
    "clean_text",
]

MAX_TEXT = 300


def clean_text(text: str | bytes | None, limit: int = MAX_TEXT) -> str:
    """Server-controlled text made safe to keep: control and bidi characters dropped, length capped."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = strip_controls(text.replace("\r\n", "\n").replace("\r", "\n"))
    text = "\n".join(line.rstrip() for line in text.split("\n")).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _opt(d: Mapping[str, Any], key: str) -> Any:
    return d.get(key)


@dataclass(frozen=True, kw_only=True)
class CertInfo:
    """The server certificate as presented (parsed even when it is not trusted)."""

    subject: str = ""
    issuer: str = ""
    sans: tuple[str, ...] = ()
    not_before: str = ""
    not_after: str = ""
    trusted: bool = False
    hostname_match: bool | None = None
    expired: bool = False
    error: str | None = None  # the verifier's reason when not trusted ("certificate has expired", ...)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "sans": list(self.sans),
            "not_before": self.not_before,
            "not_after": self.not_after,
            "trusted": self.trusted,
            "hostname_match": self.hostname_match,
            "expired": self.expired,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CertInfo:
        """Inverse of to_dict()."""
        return cls(
            subject=d.get("subject", ""),
            issuer=d.get("issuer", ""),
            sans=tuple(d.get("sans", ())),
            not_before=d.get("not_before", ""),
            not_after=d.get("not_after", ""),
            trusted=bool(d.get("trusted")),
            hostname_match=_opt(d, "hostname_match"),
            expired=bool(d.get("expired")),
            error=_opt(d, "error"),
        )


@dataclass(frozen=True, kw_only=True)
class AuthResult:
    """Outcome of the optional credential check (AUTH only; the secret itself is never kept)."""

    ok: bool
    code: int | None = None
    text: str = ""
    mechanism: str | None = None  # the one mechanism tried; None when AUTH was not attempted

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"ok": self.ok, "code": self.code, "text": self.text, "mechanism": self.mechanism}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> AuthResult:
        """Inverse of to_dict()."""
        return cls(
            ok=bool(d.get("ok")), code=_opt(d, "code"), text=d.get("text", ""), mechanism=_opt(d, "mechanism")
        )


@dataclass(frozen=True, kw_only=True)
class PortResult:
    """What one port did, from TCP connect to QUIT."""

    port: int
    status: str  # ok | refused | timeout | unreachable | error
    tls: str = "none"  # implicit | starttls | none (negotiated)
    expected_tls: str = "starttls"  # implicit on 465, starttls elsewhere
    address: str | None = None
    connect_ms: float | None = None
    greeting_code: int | None = None
    greeting_text: str | None = None
    greeting_ms: float | None = None
    extensions: Mapping[str, str] = field(default_factory=dict)
    extensions_tls: Mapping[str, str] = field(default_factory=dict)
    auth_before_tls: tuple[str, ...] = ()
    auth_after_tls: tuple[str, ...] = ()
    tls_version: str | None = None
    tls_cipher: str | None = None
    cert: CertInfo | None = None
    wrong_mode: str | None = None
    stage: str | None = None
    error: str | None = None
    auth: AuthResult | None = None

    @property
    def auth_mechanisms(self) -> tuple[str, ...]:
        """AUTH mechanisms offered at the best security level reached."""
        return self.auth_after_tls or self.auth_before_tls

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (shape in the module docstring)."""
        return {
            "port": self.port,
            "status": self.status,
            "tls": self.tls,
            "expected_tls": self.expected_tls,
            "address": self.address,
            "connect_ms": self.connect_ms,
            "greeting_code": self.greeting_code,
            "greeting_text": self.greeting_text,
            "greeting_ms": self.greeting_ms,
            "extensions": dict(self.extensions),
            "extensions_tls": dict(self.extensions_tls),
            "auth_before_tls": list(self.auth_before_tls),
            "auth_after_tls": list(self.auth_after_tls),
            "tls_version": self.tls_version,
            "tls_cipher": self.tls_cipher,
            "cert": self.cert.to_dict() if self.cert else None,
            "wrong_mode": self.wrong_mode,
            "stage": self.stage,
            "error": self.error,
            "auth": self.auth.to_dict() if self.auth else None,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PortResult:
        """Inverse of to_dict()."""
        return cls(
            port=int(d["port"]),
            status=d["status"],
            tls=d.get("tls", "none"),
            expected_tls=d.get("expected_tls", "starttls"),
            address=_opt(d, "address"),
            connect_ms=_opt(d, "connect_ms"),
            greeting_code=_opt(d, "greeting_code"),
            greeting_text=_opt(d, "greeting_text"),
            greeting_ms=_opt(d, "greeting_ms"),
            extensions=dict(d.get("extensions") or {}),
            extensions_tls=dict(d.get("extensions_tls") or {}),
            auth_before_tls=tuple(d.get("auth_before_tls") or ()),
            auth_after_tls=tuple(d.get("auth_after_tls") or ()),
            tls_version=_opt(d, "tls_version"),
            tls_cipher=_opt(d, "tls_cipher"),
            cert=CertInfo.from_dict(d["cert"]) if d.get("cert") else None,
            wrong_mode=_opt(d, "wrong_mode"),
            stage=_opt(d, "stage"),
            error=_opt(d, "error"),
            auth=AuthResult.from_dict(d["auth"]) if d.get("auth") else None,
        )


@dataclass(frozen=True, kw_only=True)
class DnsFacts:
    """Name resolution for the host, and SPF/DMARC for the sender's domain when known."""

    status: str = "ok"  # ok | nxdomain | servfail | timeout | nodata | literal | error
    addresses: tuple[str, ...] = ()
    mx: tuple[tuple[int, str], ...] = ()
    mx_status: str | None = None
    sender_domain: str | None = None
    spf: str | None = None
    spf_verdict: str | None = None
    dmarc: str | None = None
    dmarc_verdict: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "status": self.status,
            "addresses": list(self.addresses),
            "mx": [{"preference": p, "host": h} for p, h in self.mx],
            "mx_status": self.mx_status,
            "sender_domain": self.sender_domain,
            "spf": self.spf,
            "spf_verdict": self.spf_verdict,
            "dmarc": self.dmarc,
            "dmarc_verdict": self.dmarc_verdict,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DnsFacts:
        """Inverse of to_dict()."""
        return cls(
            status=d.get("status", "ok"),
            addresses=tuple(d.get("addresses") or ()),
            mx=tuple((int(m["preference"]), m["host"]) for m in d.get("mx") or ()),
            mx_status=_opt(d, "mx_status"),
            sender_domain=_opt(d, "sender_domain"),
            spf=_opt(d, "spf"),
            spf_verdict=_opt(d, "spf_verdict"),
            dmarc=_opt(d, "dmarc"),
            dmarc_verdict=_opt(d, "dmarc_verdict"),
            error=_opt(d, "error"),
        )


@dataclass(frozen=True, kw_only=True)
class StatusFeed:
    """A recognised provider's public status feed, as read during the probe."""

    provider: str
    page: str | None = None
    ok: bool = False  # the feed was read and understood
    incident: bool = False  # at least one open incident
    titles: tuple[str, ...] = ()
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "provider": self.provider,
            "page": self.page,
            "ok": self.ok,
            "incident": self.incident,
            "titles": list(self.titles),
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> StatusFeed:
        """Inverse of to_dict()."""
        return cls(
            provider=d["provider"],
            page=_opt(d, "page"),
            ok=bool(d.get("ok")),
            incident=bool(d.get("incident")),
            titles=tuple(d.get("titles") or ()),
            error=_opt(d, "error"),
        )


@dataclass(frozen=True, kw_only=True)
class ProbeReport:
    """Everything one live probe saw, plus the findings mapped to taxonomy causes."""

    target: str
    host: str
    addresses: tuple[str, ...] = ()
    dns: DnsFacts = field(default_factory=DnsFacts)
    ports: tuple[PortResult, ...] = ()
    provider: str | None = None
    status_feed: StatusFeed | None = None
    duration_ms: float = 0.0
    findings: tuple[Finding, ...] = ()

    def port(self, number: int) -> PortResult | None:
        """The result for one port, if it was probed."""
        return next((p for p in self.ports if p.port == number), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (shape in the module docstring)."""
        return {
            "target": self.target,
            "host": self.host,
            "provider": self.provider,
            "addresses": list(self.addresses),
            "duration_ms": self.duration_ms,
            "dns": self.dns.to_dict(),
            "ports": [p.to_dict() for p in self.ports],
            "status_feed": self.status_feed.to_dict() if self.status_feed else None,
            "findings": [{"cause": f.cause, "detail": f.detail, "decisive": f.decisive} for f in self.findings],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ProbeReport:
        """Inverse of to_dict(): `ProbeReport.from_dict(r.to_dict()) == r`."""
        return cls(
            target=d.get("target", d["host"]),
            host=d["host"],
            provider=_opt(d, "provider"),
            addresses=tuple(d.get("addresses") or ()),
            duration_ms=float(d.get("duration_ms") or 0.0),
            dns=DnsFacts.from_dict(d.get("dns") or {}),
            ports=tuple(PortResult.from_dict(p) for p in d.get("ports") or ()),
            status_feed=StatusFeed.from_dict(d["status_feed"]) if d.get("status_feed") else None,
            findings=tuple(Finding(cause=f["cause"], detail=f["detail"], decisive=bool(f.get("decisive", True)))
                           for f in d.get("findings") or ()),
        )
