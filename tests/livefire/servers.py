"""The live-fire lab: every scenario's server at once, in one background event loop, on loopback only.

Each scenario gets its own address 127.B.0.N (the whole of 127.0.0.0/8 is loopback on Linux) so that every
server listens on the port a user would really use (25/465/587) and client output carries realistic ports.
A stub DNS server on 127.B.0.53:53 answers NXDOMAIN to everything; clients run in a private mount namespace
whose /etc/resolv.conf points at it (see clients.py), so no name lookup ever leaves the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import socket
import ssl
import threading
import warnings
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.livefire.scenarios import GOOD_PASSWORD, SCENARIOS, USER, Scenario, ServerSpec
from tests.probe.dnsstub import DnsStub
from tests.services import start_postfix_lab, stop_postfix_lab

__all__ = ["Lab"]

SERVER_NAME = "mail.example.test"


def _self_signed(ip: str) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SERVER_NAME)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(SERVER_NAME),
                                                        x509.IPAddress(ipaddress.ip_address(ip))]), critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


class Handler:
    """Replies as the scenario says; otherwise accepts."""

    def __init__(self, spec: ServerSpec) -> None:
        self.spec = spec
        if "XOAUTH2" in spec.auth_mechanisms:
            # aiosmtpd offers every auth_<NAME> method of the handler as a mechanism
            async def auth_XOAUTH2(server: SMTP, args: list[str]) -> AuthResult:
                return AuthResult(success=False, handled=False)

            self.auth_XOAUTH2 = auth_XOAUTH2

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.spec.mail_unauthenticated and not session.authenticated:
            return self.spec.mail_unauthenticated
        if self.spec.mail_reply:
            return self.spec.mail_reply
        envelope.mail_from = address
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.spec.rcpt_reply:
            return self.spec.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return self.spec.data_reply or "250 2.0.0 OK queued as LF0001"


@dataclass
class Endpoint:
    scenario: Scenario
    host: str           # what the client is told to connect to (an address, or the .invalid name)
    port: int


@dataclass
class Lab:
    """Start with `Lab.start(workdir)`; `endpoints[name]`, `ca_file`, `resolv_conf`; `stop()`."""

    workdir: Path
    base: str = ""
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    ca_file: str = ""
    resolv_conf: str = ""
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _servers: list[Any] = field(default_factory=list)
    _sockets: list[socket.socket] = field(default_factory=list)
    _postfix: Path | None = None
    _postfix_ca: str = ""

    @classmethod
    def start(cls, workdir: Path) -> Lab:
        lab = cls(workdir=workdir)
        if any(s.server.kind == "postfix" for s in SCENARIOS):
            for port in (25, 465, 466, 587):
                with socket.socket() as probe:
                    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Postfix does: TIME_WAIT is fine
                    try:
                        probe.bind(("127.0.0.1", port))
                    except OSError as exc:
                        raise RuntimeError(f"127.0.0.1:{port} is taken ({exc}); the Postfix lab of the live-fire "
                                           "suite needs it: stop the machine's own MTA") from exc
            # base 0: Postfix's services on 127.0.0.1:25/587/465/466, the ports a user would really use
            lab._postfix, info = start_postfix_lab(0)
            lab._postfix_ca = Path(info["ca"]).read_text()
        lab._loop = asyncio.new_event_loop()
        lab._thread = threading.Thread(target=lab._loop.run_forever, name="livefire-lab", daemon=True)
        lab._thread.start()
        fut: Future[None] = asyncio.run_coroutine_threadsafe(lab._start_all(), lab._loop)
        try:
            fut.result(timeout=60)
        except BaseException:
            lab.stop()
            raise
        return lab

    def stop(self) -> None:
        if self._loop is None:
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._stop_all(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread:
            self._thread.join(timeout=10)
        for s in self._sockets:
            s.close()
        self._loop.close()
        self._loop = None
        if self._postfix is not None:
            stop_postfix_lab(self._postfix)
            self._postfix = None

    # --- inside the lab's loop -------------------------------------------------------------------------------

    async def _stop_all(self) -> None:
        for s in self._servers:
            s.close()

    def _pick_base(self) -> str:
        """A 127.B.0.x block where port 587 on .1 is free (another run may hold another block)."""
        for b in range(42, 250):
            probe = socket.socket()
            try:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind((f"127.{b}.0.1", 587))
                return f"127.{b}.0"
            except OSError:
                continue
            finally:
                probe.close()
        raise RuntimeError("no free 127.B.0.0/24 block for the live-fire lab")

    async def _start_all(self) -> None:
        self.base = self._pick_base()
        ca, other = trustme.CA(), trustme.CA()
        self.ca_file = str(self.workdir / "ca.pem")
        # the CAs the clients trust (as if the system's): ours, and the Postfix lab's
        Path(self.ca_file).write_bytes(ca.cert_pem.bytes() + self._postfix_ca.encode())  # noqa: ASYNC240
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: DnsStub({}, (), ()), local_addr=(f"{self.base}.53", 53))
        self._servers.append(transport)
        self.resolv_conf = str(self.workdir / "resolv.conf")
        Path(self.resolv_conf).write_text(f"nameserver {self.base}.53\noptions timeout:1 attempts:1\n")  # noqa: ASYNC240
        for i, sc in enumerate(SCENARIOS, start=1):
            ip = f"{self.base}.{i}"
            self.endpoints[sc.name] = Endpoint(sc, ip, sc.port)
            await self._start_one(sc, ip, ca, other)

    def _tls_context(self, spec: ServerSpec, ip: str, ca: trustme.CA, other: trustme.CA) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        past = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
        if spec.cert == "self_signed":
            cert, key = _self_signed(ip)
            cert_path, key_path = self.workdir / f"{ip}.pem", self.workdir / f"{ip}.key"
            cert_path.write_bytes(cert)
            key_path.write_bytes(key)
            ctx.load_cert_chain(str(cert_path), str(key_path))
        elif spec.cert == "expired":
            ca.issue_cert(ip, SERVER_NAME, not_before=past, not_after=past + dt.timedelta(days=90)).configure_cert(ctx)
        elif spec.cert == "wrong_name":
            ca.issue_cert("other.example.org").configure_cert(ctx)
        elif spec.cert == "unknown_ca":
            other.issue_cert(ip, SERVER_NAME).configure_cert(ctx)
        else:
            ca.issue_cert(ip, SERVER_NAME).configure_cert(ctx)
        if spec.tls10_only:
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
            with warnings.catch_warnings():  # deprecated on purpose: this server is the outdated one
                warnings.simplefilter("ignore", DeprecationWarning)
                ctx.minimum_version = ssl.TLSVersion.TLSv1
                ctx.maximum_version = ssl.TLSVersion.TLSv1
        return ctx

    async def _start_one(self, sc: Scenario, ip: str, ca: trustme.CA, other: trustme.CA) -> None:
        spec = sc.server
        loop = asyncio.get_running_loop()
        if spec.kind == "postfix":
            self.endpoints[sc.name].host = "127.0.0.1"
            return
        if spec.kind in ("refused", "unresolvable"):
            if spec.kind == "unresolvable":
                self.endpoints[sc.name].host = "smtp.example.invalid"
            return
        if spec.kind == "blackhole":
            # listen(0) and never accept, the queue filled: the kernel drops further SYNs → connect time-out
            listener = socket.socket()
            listener.bind((ip, sc.port))
            listener.listen(0)
            self._sockets.append(listener)
            for _ in range(4):
                filler = socket.socket()
                filler.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    filler.connect((ip, sc.port))
                self._sockets.append(filler)
            return
        if spec.kind == "greet":
            greeting = (spec.greeting or "").encode() + b"\r\n"

            async def greet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                try:
                    writer.write(greeting)
                    await writer.drain()
                    with contextlib.suppress(Exception):
                        async with asyncio.timeout(2):
                            await reader.readline()  # let the client say EHLO/QUIT, then hang up
                finally:
                    writer.close()

            self._servers.append(await asyncio.start_server(greet, ip, sc.port))
            return
        ctx = self._tls_context(spec, ip, ca, other)
        handler = Handler(spec)

        def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            if spec.auth_reply:
                return AuthResult(success=False, handled=False, message=spec.auth_reply)
            ok = (isinstance(data, LoginPassword) and data.login.decode() == USER
                  and data.password.decode() == GOOD_PASSWORD)
            return AuthResult(success=ok, handled=False, message=None if ok else spec.auth_failure)

        exclude = [m for m in ("LOGIN", "PLAIN") if m not in spec.auth_mechanisms]

        def factory() -> SMTP:
            return SMTP(handler, hostname=SERVER_NAME, ident="ESMTP ready",
                        tls_context=ctx if spec.tls == "starttls" else None,
                        require_starttls=spec.require_starttls, authenticator=authenticator,
                        auth_require_tls=spec.auth_require_tls and spec.tls == "starttls",
                        auth_exclude_mechanism=exclude)

        server = await loop.create_server(factory, ip, sc.port, ssl=ctx if spec.tls == "implicit" else None,
                                          ssl_handshake_timeout=30 if spec.tls == "implicit" else None)
        self._servers.append(server)
