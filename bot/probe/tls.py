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
import warnings

from cryptography import x509

from bot.probe.report import CertInfo, clean_text

__all__ = ["client_contexts", "hostname_matches", "parse_certificate"]


def client_contexts(*, ca_file: str | None = None) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(verifying, non-verifying) client contexts; the second is used only to read an untrusted certificate.

    `ca_file` replaces the system trust store (tests and the lab trust their own CA).
    """
    verify = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
    insecure = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    insecure.check_hostname = False
    insecure.verify_mode = ssl.CERT_NONE
    # To describe an old server we must be able to talk to it, without trusting it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        insecure.minimum_version = ssl.TLSVersion.TLSv1
    with contextlib.suppress(ssl.SSLError):  # OpenSSL builds without SECLEVEL
        insecure.set_ciphers("DEFAULT:@SECLEVEL=0")
    return verify, insecure


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
    return CertInfo(
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
