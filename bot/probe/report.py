"""What a live probe saw: frozen dataclasses with a stable JSON shape.

One typed shape end to end: the probe builds a ProbeReport, the runner returns it, Diagnosis.probe holds it and
every view reads it. JSON exists only at the edges (`smtp-help probe --json`, the probe cache, the job queue),
written and read by the generic codec (bot/codec.py) through `to_dict()` / `from_dict()`:

    {
      "target": str,            # what the user asked for, credentials redacted
      "host": str,              # ASCII host name (IDN as xn--) or IP literal
      "provider": str | null,   # knowledge/providers id when the host is recognised
      "addresses": [str, ...],  # validated addresses; every one is tried on each port (ports[].addresses)
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
                          "trusted": bool, "hostname_match": bool|null, "expired": bool, "error": str|null,
                          "key_type": str|null, "key_bits": int|null, "signature_hash": str|null},
          "wrong_mode": null | "plaintext_on_implicit" | "tls_on_starttls_port",
          "tls_permissive": bool,               # tls_version/cipher read by the permissive second handshake
          "stage": null | "connect"|"tls"|"greeting"|"ehlo"|"starttls"|"auth",  # where it stopped
          "error": str|null,                    # short, control characters stripped
          "auth": null | {"ok": bool, "code": int|null, "text": str,   # only with out-of-band credentials
                          "mechanism": "PLAIN"|"LOGIN"|null},            # null: AUTH was not attempted
          "timings": {step: ms},                # connect, tls, greeting, ehlo, starttls, tls_handshake, ehlo_tls,
                                                # auth, quit (sent, not awaited), second_look: each step measured
          "dialogue": [str],                    # "-> EHLO x", "<- 250-…", "== TLS established: …" (bot.probe.dialogue):
                                                # AUTH arguments and answers to 334 redacted, at most 60 lines
          "addresses": [{"address": str, "status": "ok"|"refused"|"timeout"|"unreachable"|"error",
                         "connect_ms": float|null, "error": str|null,
                         "used": bool}],            # every address of the host, Happy Eyeballs order (IPv6 first);
                                                # used: the session ran on it (bot/probe/eyeballs.py)
          "host": str|null, "role": null|"mx"|"submission"  # a bare mail domain: its MX hosts on 25 and the
                                                # submission host its provider documents (null: the target itself)
      }],
      "status_feed": null | {"provider": str, "page": str|null, "ok": bool, "incident": bool,
                             "titles": [str], "error": str|null},
      "timings": {"dns": ms, "ports": ms, "sender_dns": ms, "status_feed": ms, "total": ms},
      "findings": [{"cause": <taxonomy id>, "detail": str, "decisive": bool}]
    }

Server-controlled text (greetings, replies, certificate names) is stored with control characters removed
and length capped, never escaped: renderers escape for their medium.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.codec import from_json, to_json
from bot.model import Finding
from bot.text import strip_controls

__all__ = [
    "MAX_TEXT",
    "UNREADABLE_REPLY",
    "AddressResult",
    "AuthResult",
    "CertInfo",
    "DnsFacts",
    "PortResult",
    "ProbeReport",
    "StatusFeed",
    "clean_text",
]

MAX_TEXT = 300
WEAK_SIGNATURE_HASHES = frozenset({"sha1", "md5", "md4", "md2"})
UNREADABLE_REPLY = "unreadable reply"  # PortResult.error starts so when a reply was too long or had no reply code


def clean_text(text: str | bytes | None, limit: int = MAX_TEXT) -> str:
    """Server-controlled text made safe to keep: control and bidi characters dropped, length capped."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = strip_controls(text.replace("\r\n", "\n").replace("\r", "\n"))
    text = "\n".join(line.rstrip() for line in text.split("\n")).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
    key_type: str | None = None  # RSA | EC | DSA | Ed25519 | Ed448
    key_bits: int | None = None  # RSA/DSA modulus or EC curve size
    signature_hash: str | None = None  # sha256, sha1, md5, ... (None for Ed25519/Ed448)

    @property
    def weak_key(self) -> bool:
        """RSA or DSA under 2048 bits, EC under 224 (NIST SP 800-57; current OpenSSL refuses them at level 2)."""
        if self.key_bits is None:
            return False
        return self.key_bits < (224 if self.key_type == "EC" else 2048) and self.key_type in ("RSA", "DSA", "EC")

    @property
    def weak_signature(self) -> bool:
        """Signed with SHA-1 or MD5 (CA/Browser Forum: no SHA-1 since 2016; OpenSSL refuses it at level 1+)."""
        return (self.signature_hash or "").lower() in WEAK_SIGNATURE_HASHES



@dataclass(frozen=True, kw_only=True)
class AuthResult:
    """Outcome of the optional credential check (AUTH only; the secret itself is never kept)."""

    ok: bool
    code: int | None = None
    text: str = ""
    mechanism: str | None = None  # the one mechanism tried; None when AUTH was not attempted



@dataclass(frozen=True, kw_only=True)
class AddressResult:
    """How one address of the host answered a TCP connection on this port (bot/probe/eyeballs.py)."""

    address: str
    status: str  # ok | refused | timeout | unreachable | error
    connect_ms: float | None = None
    error: str | None = None
    used: bool = False  # the session ran on this address

    @property
    def family(self) -> str:
        """'IPv6' or 'IPv4'."""
        return "IPv6" if ":" in self.address else "IPv4"



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
    timings: Mapping[str, float] = field(default_factory=dict)  # ms per step: connect, greeting, ehlo, starttls, …
    tls_permissive: bool = False  # the verifying handshake found no common version/cipher; tls_* were read by a
                                  # second handshake accepting TLS 1.0/1.1 and old ciphers (no AUTH on it)
    addresses: tuple[AddressResult, ...] = ()  # every address tried on this port, Happy Eyeballs order
    host: str | None = None  # the host probed, when it is not the target: a bare mail domain's MX or submission host
    role: str | None = None  # mx | submission (with host); None: a port of the target itself
    dialogue: tuple[str, ...] = ()  # bot.probe.dialogue: "-> EHLO …", "<- 250-…", "== TLS …"; AUTH redacted, bounded

    @property
    def auth_mechanisms(self) -> tuple[str, ...]:
        """AUTH mechanisms offered at the best security level reached."""
        return self.auth_after_tls or self.auth_before_tls



@dataclass(frozen=True, kw_only=True)
class DnsFacts:
    """Name resolution for the host, and SPF/DMARC for the sender's domain when known."""

    status: str = "ok"  # ok | nxdomain | servfail | timeout | nodata | literal | error
    addresses: tuple[str, ...] = ()
    mx: tuple[tuple[int, str], ...] = field(default=(), metadata={"row_keys": ("preference", "host")})
    mx_status: str | None = None
    sender_domain: str | None = None
    spf: str | None = None
    spf_verdict: str | None = None
    dmarc: str | None = None
    dmarc_verdict: str | None = None
    error: str | None = None



@dataclass(frozen=True, kw_only=True)
class StatusFeed:
    """A recognised provider's public status feed, as read during the probe."""

    provider: str
    page: str | None = None
    ok: bool = False  # the feed was read and understood
    incident: bool = False  # at least one open incident
    titles: tuple[str, ...] = ()
    error: str | None = None



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
    timings: Mapping[str, float] = field(default_factory=dict)  # ms: dns, ports, sender_dns, status_feed, total
    findings: tuple[Finding, ...] = ()

    def port(self, number: int) -> PortResult | None:
        """The result for one port, if it was probed."""
        return next((p for p in self.ports if p.port == number), None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape in the module docstring (`smtp-help probe --json`, the probe cache, the job queue)."""
        doc: dict[str, Any] = to_json(self)
        return doc

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> ProbeReport:
        """Inverse of to_dict(): `ProbeReport.from_dict(r.to_dict()) == r`; CodecError for another shape."""
        return from_json(cls, doc)
