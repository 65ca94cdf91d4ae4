"""Old TLS and weak certificates: a server that offers only TLS 1.0/1.1 is named by a second, permissive handshake
(legacy_tls_only → tls_handshake_failure); a weak key (RSA < 2048, EC < 224) or a SHA-1/MD5 signature is named from
the certificate. Servers are aiosmtpd on 127.0.0.1 with SSLContexts limited as an old server's would be (this
OpenSSL 3 still speaks TLS 1.0/1.1 at SECLEVEL=0 on both sides); certificates are made here with `cryptography`."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.smtp import SMTP
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from bot.probe import ProbeReport, run_probe
from bot.probe.findings import findings_for
from bot.probe.report import CertInfo, PortResult
from bot.probe.tls import client_contexts, parse_certificate, protocol_refused
from bot.render.ports import port_rows
from tests.probe.conftest import Handler, _authenticator

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)
NOW = dt.datetime.now(dt.UTC)
SHA256_RSA = bytes.fromhex("2a864886f70d01010b")  # OID 1.2.840.113549.1.1.11
SHA1_RSA = bytes.fromhex("2a864886f70d010105")    # OID 1.2.840.113549.1.1.5
MD5_RSA = bytes.fromhex("2a864886f70d010104")     # OID 1.2.840.113549.1.1.4


def _tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    length = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes(
        (n.bit_length() + 7) // 8, "big")
    return bytes([tag]) + length + body


def _resign(cert: x509.Certificate, key: rsa.RSAPrivateKey, oid: bytes, algorithm: hashes.HashAlgorithm
            ) -> x509.Certificate:
    """The same certificate signed with SHA-1 or MD5 (cryptography no longer signs with them: the DER is rebuilt)."""
    tbs = cert.tbs_certificate_bytes
    assert tbs.count(SHA256_RSA) == 1
    tbs = tbs.replace(SHA256_RSA, oid)
    signature = key.sign(tbs, padding.PKCS1v15(), algorithm)
    algorithm_id = _tlv(0x30, _tlv(0x06, oid) + b"\x05\x00")
    return x509.load_der_x509_certificate(_tlv(0x30, tbs + algorithm_id + _tlv(0x03, b"\x00" + signature)))


def _cert(key: Any, *, issuer_key: Any = None, issuer: str = "Old Lab CA", ca: bool = False,
          weak_hash: tuple[bytes, hashes.HashAlgorithm] | None = None) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Old Lab CA" if ca else "mail.lab.test")])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("mail.lab.test"), x509.IPAddress(ipaddress.ip_address(
                "127.0.0.1"))]), critical=False)
    signer = issuer_key or key
    cert = builder.sign(signer, hashes.SHA256())
    return _resign(cert, signer, *weak_hash) if weak_hash else cert


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _server_ctx(tmp: Path, cert: x509.Certificate, key: Any, *, chain: tuple[x509.Certificate, ...] = (),
                max_version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    """A server context as an old server would have it: SECLEVEL=0, optionally no TLS newer than max_version."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    if max_version is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = max_version
    cert_file, key_file = tmp / f"c{id(cert)}.pem", tmp / f"k{id(cert)}.pem"
    cert_file.write_bytes(_pem(cert) + b"".join(_pem(c) for c in chain))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    ctx.load_cert_chain(str(cert_file), str(key_file))
    return ctx


@pytest.fixture(scope="module")
def lab_ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, str]:
    ca = trustme.CA()
    path = tmp_path_factory.mktemp("oldca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return ca, str(path)


def _trustme_ctx(ca: trustme.CA, max_version: ssl.TLSVersion) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = max_version
    ca.issue_cert("127.0.0.1", "mail.lab.test").configure_cert(ctx)
    return ctx


@pytest.fixture
async def serve() -> AsyncIterator[Any]:
    servers: list[asyncio.base_events.Server] = []
    handlers: list[Handler] = []

    async def start(ctx: ssl.SSLContext, *, implicit: bool) -> int:
        handlers.append(Handler())

        def factory() -> SMTP:
            return SMTP(handlers[-1], hostname="mail.lab.test", tls_context=None if implicit else ctx,
                        authenticator=_authenticator, auth_require_tls=not implicit)

        server = await asyncio.get_running_loop().create_server(factory, "127.0.0.1", 0,
                                                                ssl=ctx if implicit else None)
        servers.append(server)
        port: int = server.sockets[0].getsockname()[1]
        return port

    yield start
    for s in servers:
        s.close()


async def _probe(port: int, probe_port: int, ca_file: str, **kw: Any) -> ProbeReport:
    return await run_probe(f"127.0.0.1:{probe_port}", allow_networks=LOOPBACK, ca_file=ca_file,
                           port_map={probe_port: port}, timeout_s=4.0, step_timeout_s=1.0, connect_timeout_s=1.0, **kw)


def test_this_openssl_still_speaks_tls_1_0_and_1_1_when_asked() -> None:
    """The premise of the tests below: the permissive context offers TLS 1.0 (and the verifying one does not)."""
    contexts = client_contexts()
    assert client_contexts() is contexts  # one set per trust store, shared by every probe
    verify, insecure, permissive = contexts.verify, contexts.insecure, contexts.permissive
    assert verify.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert permissive.minimum_version == insecure.minimum_version == ssl.TLSVersion.TLSv1
    assert permissive.verify_mode == ssl.CERT_REQUIRED
    assert permissive.check_hostname
    assert insecure.verify_mode == ssl.CERT_NONE
    assert insecure.cert_store_stats()["x509_ca"] == 0  # it verifies nothing, so it loads no trust store


@pytest.mark.parametrize(("max_version", "name"),
                         [(ssl.TLSVersion.TLSv1_1, "TLSv1.1"), (ssl.TLSVersion.TLSv1, "TLSv1")])
async def test_starttls_server_with_only_old_tls_is_named(
    serve: Any, lab_ca: tuple[trustme.CA, str], max_version: ssl.TLSVersion, name: str
) -> None:
    ca, ca_file = lab_ca
    port = await serve(_trustme_ctx(ca, max_version), implicit=False)
    report = await _probe(port, 587, ca_file, credentials=("probe@lab.test", "s3cret-Pa55"))
    p = report.ports[0]
    assert (p.status, p.stage, p.tls, p.tls_permissive, p.tls_version) == ("error", "tls", "starttls", True, name)
    assert p.error is not None
    assert f"offers only {name}" in p.error
    assert p.cert is not None
    assert p.cert.trusted  # the permissive look still verified the certificate
    assert p.auth is not None
    assert not p.auth.ok
    assert p.auth.mechanism is None  # no AUTH over the old TLS
    assert "verify_connect" in p.timings
    found = [f for f in report.findings if f.cause == "tls_handshake_failure"]
    assert len(found) == 1
    assert f"offers only {name}" in found[0].detail
    assert "certificate" not in found[0].detail
    assert port_rows(report)[0].tls.startswith("STARTTLS " + name)
    assert any("second look accepting TLS 1.0/1.1" in line for line in p.dialogue)


async def test_implicit_tls_server_with_only_tls_1_0(serve: Any, lab_ca: tuple[trustme.CA, str]) -> None:
    ca, ca_file = lab_ca
    port = await serve(_trustme_ctx(ca, ssl.TLSVersion.TLSv1), implicit=True)
    report = await _probe(port, 465, ca_file)
    p = report.ports[0]
    assert (p.tls, p.tls_version, p.tls_permissive, p.greeting_code) == ("implicit", "TLSv1", True, 220)
    assert p.wrong_mode is None  # not mistaken for a plaintext port
    assert [f.cause for f in report.findings] == ["tls_handshake_failure"]


async def test_a_current_server_needs_no_second_look(serve: Any, lab_ca: tuple[trustme.CA, str]) -> None:
    ca, ca_file = lab_ca
    port = await serve(_trustme_ctx(ca, ssl.TLSVersion.TLSv1_3), implicit=True)
    report = await _probe(port, 465, ca_file)
    p = report.ports[0]
    assert (p.status, p.tls_permissive, p.tls_version) == ("ok", False, "TLSv1.3")
    assert not any(k.startswith("verify_") for k in p.timings)
    assert report.findings == ()


async def test_weak_rsa_key_is_named(serve: Any, tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - the weak key under test
    cert = _cert(key, issuer="mail.lab.test")
    ca_file = tmp_path / "self.pem"
    ca_file.write_bytes(_pem(cert))
    port = await serve(_server_ctx(tmp_path, cert, key), implicit=True)
    report = await _probe(port, 465, str(ca_file))
    p = report.ports[0]
    assert p.cert is not None
    assert (p.cert.key_type, p.cert.key_bits, p.cert.weak_key) == ("RSA", 1024, True)
    assert not p.cert.trusted  # OpenSSL: "EE certificate key too weak"
    details = [f.detail for f in report.findings if f.cause == "tls_handshake_failure"]
    assert any("key is RSA 1024 bits" in d for d in details)
    assert port_rows(report)[0].cert == "weak key"


async def test_sha1_signed_leaf_is_named(serve: Any, tmp_path: Path) -> None:
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_cert = _cert(ca_key, ca=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = _cert(key, issuer_key=ca_key, weak_hash=(SHA1_RSA, hashes.SHA1()))  # noqa: S303 - the weakness under test
    assert leaf.signature_hash_algorithm is not None
    assert leaf.signature_hash_algorithm.name == "sha1"
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(_pem(ca_cert))
    port = await serve(_server_ctx(tmp_path, leaf, key), implicit=True)
    report = await _probe(port, 465, str(ca_file))
    p = report.ports[0]
    assert p.cert is not None
    assert (p.cert.signature_hash, p.cert.weak_signature, p.cert.weak_key) == ("sha1", True, False)
    assert not p.cert.trusted  # OpenSSL: "CA signature digest algorithm too weak"
    details = [f.detail for f in report.findings if f.cause == "tls_handshake_failure"]
    assert any("signed with SHA1" in d for d in details)


@pytest.mark.parametrize(
    ("key", "weak_hash", "expected"),
    [
        (rsa.generate_private_key(public_exponent=65537, key_size=2048), None, ("RSA", 2048, "sha256", False, False)),
        (rsa.generate_private_key(public_exponent=65537, key_size=1024),  # noqa: S505 - the weak key under test
         None, ("RSA", 1024, "sha256", True, False)),
        (rsa.generate_private_key(public_exponent=65537, key_size=2048), (MD5_RSA, hashes.MD5()),  # noqa: S303
         ("RSA", 2048, "md5", False, True)),
        (ec.generate_private_key(ec.SECP192R1()), None, ("EC", 192, "sha256", True, False)),
        (ec.generate_private_key(ec.SECP256R1()), None, ("EC", 256, "sha256", False, False)),
    ],
)
def test_key_and_signature_read_from_the_certificate(key: Any, weak_hash: Any, expected: tuple[Any, ...]) -> None:
    cert = _cert(key, issuer="mail.lab.test", weak_hash=weak_hash)
    info = parse_certificate(cert.public_bytes(serialization.Encoding.DER), host="mail.lab.test", now=NOW,
                             trusted=True)
    assert (info.key_type, info.key_bits, info.signature_hash, info.weak_key, info.weak_signature) == expected
    again = CertInfo(**{**info.__dict__})
    assert again == info


def test_old_ciphers_on_tls_1_2_and_the_protocol_reasons() -> None:
    port = PortResult(port=587, status="error", stage="tls", tls="starttls", tls_version="TLSv1.2",
                      tls_cipher="DES-CBC3-SHA", tls_permissive=True)
    report = ProbeReport(target="x.example", host="x.example", ports=(port,))
    found = findings_for(report)
    assert [f.cause for f in found] == ["tls_handshake_failure"]
    assert "old ciphers (DES-CBC3-SHA" in found[0].detail
    assert protocol_refused("TLS error: TLSV1_ALERT_PROTOCOL_VERSION")
    assert protocol_refused("TLS error: UNSUPPORTED_PROTOCOL")
    assert not protocol_refused("certificate not accepted: certificate has expired")
    assert not protocol_refused(None)
