"""TLS helpers for the probe: client contexts, and reading a server certificate (parsing is pure).

A certificate is parsed from its DER bytes with `cryptography`, so subject, SANs, issuer and expiry are
reported even when the chain is not trusted (the verifying handshake failed and a second, non-verifying one
fetched the certificate). Host-name matching follows RFC 6125 (one left-most wildcard label).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import ssl
import time
import warnings
from functools import cached_property

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from bot.probe.report import CertInfo, clean_text

__all__ = [
    "PROTOCOL_REFUSALS", "Contexts", "client_contexts", "hostname_matches", "parse_certificate", "protocol_refused",
]


# OpenSSL's reasons for "no TLS version or cipher in common" (and old servers without RFC 5746 renegotiation):
# after one of these, a permissive handshake reads what the server does offer.
PROTOCOL_REFUSALS = (
    "UNSUPPORTED_PROTOCOL", "TLSV1_ALERT_PROTOCOL_VERSION", "NO_PROTOCOLS_AVAILABLE", "WRONG_SSL_VERSION",
    "VERSION_TOO_LOW", "SSLV3_ALERT_HANDSHAKE_FAILURE", "NO_SHARED_CIPHER", "NO_CIPHERS_AVAILABLE",
    "NO_SUITABLE_SIGNATURE_ALGORITHM", "UNSAFE_LEGACY_RENEGOTIATION_DISABLED", "DH_KEY_TOO_SMALL",
    "TLSV1_ALERT_INSUFFICIENT_SECURITY", "INSUFFICIENT_SECURITY",
)
_LEGACY_SERVER_CONNECT = getattr(ssl, "OP_LEGACY_SERVER_CONNECT", 0x4)


def _permissive(ctx: ssl.SSLContext) -> ssl.SSLContext:
    """Accept TLS 1.0/1.1, old ciphers and servers without secure renegotiation: only to read what a server offers."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    with contextlib.suppress(ssl.SSLError):  # OpenSSL builds without SECLEVEL
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    ctx.options |= _LEGACY_SERVER_CONNECT
    return ctx


class Contexts:
    """The probe's client contexts, built once per trust store and shared by every probe of the process.

    `verify` is what a current client does. `insecure` only reads an untrusted certificate (it loads no trust
    store: nothing is verified with it). `permissive` verifies the certificate but accepts TLS 1.0/1.1 and old
    ciphers: it is built on first use, after `verify` found no version or cipher in common, only to name what the
    server offers. Neither of the last two ever carries credentials.
    """

    def __init__(self, ca_file: str | None = None) -> None:
        self.ca_file = ca_file
        self.verify = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
        insecure = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        insecure.check_hostname = False
        insecure.verify_mode = ssl.CERT_NONE
        self.insecure = _permissive(insecure)

    @cached_property
    def permissive(self) -> ssl.SSLContext:
        """The verifying context that also accepts TLS 1.0/1.1 and old ciphers (built on first use)."""
        return _permissive(ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=self.ca_file))


_CONTEXTS_TTL_S = 3600.0  # a trust store updated on disk is read again within the hour
_contexts: dict[str | None, tuple[float, Contexts]] = {}


def client_contexts(*, ca_file: str | None = None) -> Contexts:
    """The shared Contexts for this trust store (`ca_file` replaces the system one: tests and the lab trust their
    own CA). Reading a trust store costs tens of milliseconds of blocked event loop; a probe should not pay it."""
    now = time.monotonic()
    cached = _contexts.get(ca_file)
    if cached is not None and now - cached[0] < _CONTEXTS_TTL_S:
        return cached[1]
    contexts = Contexts(ca_file)
    if len(_contexts) > 16:
        _contexts.clear()
    _contexts[ca_file] = (now, contexts)
    return contexts


def protocol_refused(error: str | None) -> bool:
    """True if a handshake error (as smtp.py words it, with OpenSSL's reason) means no version or cipher in common."""
    return bool(error) and any(reason in (error or "").upper() for reason in PROTOCOL_REFUSALS)


def hostname_matches(host: str, sans: tuple[str, ...]) -> bool:
    """True if the host (name or IP literal) is covered by one of the certificate's SANs."""
    host = host.lower().rstrip(".")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    for san in sans:
        san = san.lower().rstrip(".")
        if ip is not None:
            try:
                if ipaddress.ip_address(san) == ip:
                    return True
            except ValueError:
                continue
        elif san.startswith("*."):
            head, _, rest = host.partition(".")
            if head and rest == san[2:] and rest.count(".") >= 1:
                return True
        elif san == host:
            return True
    return False


def _name(n: x509.Name) -> str:
    try:
        return clean_text(n.rfc4514_string(), 200)
    except ValueError:  # pragma: no cover - undecodable attribute
        return ""


def parse_certificate(
    der: bytes, *, host: str, now: dt.datetime, trusted: bool, error: str | None = None
) -> CertInfo:
    """Describe a DER certificate as seen for `host` at `now`."""
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return CertInfo(trusted=trusted, error=error or "certificate could not be parsed")
    sans: list[str] = []
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        sans += [clean_text(s, 253) for s in ext.get_values_for_type(x509.DNSName)]
        sans += [str(a) for a in ext.get_values_for_type(x509.IPAddress)]
    except (x509.ExtensionNotFound, ValueError):
        pass
    not_after = cert.not_valid_after_utc
    key_type, key_bits = _key(cert)
    try:
        algorithm = cert.signature_hash_algorithm
        signature_hash = algorithm.name.lower() if algorithm is not None else None
    except UnsupportedAlgorithm:  # an algorithm cryptography does not know: report it by OID
        signature_hash = clean_text(cert.signature_algorithm_oid.dotted_string, 60)
    return CertInfo(
        key_type=key_type,
        key_bits=key_bits,
        signature_hash=signature_hash,
        subject=_name(cert.subject),
        issuer=_name(cert.issuer),
        sans=tuple(sans[:50]),
        not_before=cert.not_valid_before_utc.isoformat(),
        not_after=not_after.isoformat(),
        trusted=trusted,
        hostname_match=hostname_matches(host, tuple(sans)),
        expired=now > not_after,
        error=clean_text(error, 200) if error else None,
    )


def _key(cert: x509.Certificate) -> tuple[str | None, int | None]:
    """(type, size in bits) of the certificate's public key."""
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return None, None
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    return type(key).__name__[:40], None
