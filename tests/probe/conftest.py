"""Fixtures for the probe suites: trustme certificates and in-process SMTP servers on 127.0.0.1, port 0.

`smtp_server(kind, ...)` starts one server in the test's event loop and returns its port. Kinds:
  plain       aiosmtpd, STARTTLS offered, AUTH only after TLS (auth_require_tls)
  implicit    aiosmtpd over TLS from the first byte (465-style)
  greet421    greets "421 4.3.2 Service not available" and hangs up
  silent      accepts and never says a word
  banner      sends a given raw banner (hostile lines, control characters)
The trusted CA is `certs.ca_file`; `certs.untrusted` is a context whose certificate no one trusts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)
LAB_HOST = "127.0.0.1"
USER, PASSWORD = "probe@lab.test", "s3cret-Pa55"
STEP = 1.0


@dataclass
class Certs:
    ca_file: str
    good: ssl.SSLContext  # cert for 127.0.0.1 and mail.lab.test from the trusted CA
    untrusted: ssl.SSLContext  # same names, a CA nobody trusts
    expired: ssl.SSLContext  # trusted CA, expired leaf
    wrong_name: ssl.SSLContext  # trusted CA, names only other.example


def _server_ctx(ca: trustme.CA, *names: str, **kw: Any) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names, **kw).configure_cert(ctx)
    return ctx


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    ca, other = trustme.CA(), trustme.CA()
    ca_file = Path(tmp_path_factory.mktemp("ca")) / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    past = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    return Certs(
        ca_file=str(ca_file),
        good=_server_ctx(ca, "127.0.0.1", "mail.lab.test"),
        untrusted=_server_ctx(other, "127.0.0.1", "mail.lab.test"),
        expired=_server_ctx(
            ca, "127.0.0.1", "mail.lab.test", not_before=past, not_after=past + dt.timedelta(days=30)
        ),
        wrong_name=_server_ctx(ca, "other.example"),
    )


class Handler:
    """Records what the client did, so tests can assert that no mail command was ever sent."""

    def __init__(self) -> None:
        self.commands: list[str] = []

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        self.commands.append("MAIL")
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        self.commands.append("RCPT")
        return "250 OK"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = (
        isinstance(data, LoginPassword) and data.login.decode() == USER and data.password.decode() == PASSWORD
    )
    return AuthResult(success=ok, handled=False)


ServerFactory = Callable[..., Awaitable[int]]


@pytest.fixture
async def smtp_server(certs: Certs) -> AsyncIterator[ServerFactory]:
    servers: list[asyncio.base_events.Server] = []
    handlers: list[Handler] = []

    async def start(
        kind: str = "plain",
        *,
        ctx: ssl.SSLContext | None = None,
        banner: bytes = b"",
        starttls: bool = True,
        handler: Handler | None = None,
    ) -> int:
        tls = ctx or certs.good
        h = handler or Handler()
        handlers.append(h)
        if kind in ("plain", "implicit"):

            def factory() -> SMTP:
                return SMTP(
                    h,
                    hostname="mail.lab.test",
                    tls_context=tls if (starttls and kind == "plain") else None,
                    authenticator=_authenticator,
                    auth_require_tls=kind == "plain",
                )

            server = await asyncio.get_running_loop().create_server(
                factory, LAB_HOST, 0, ssl=tls if kind == "implicit" else None
            )
        else:

            async def raw(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                try:
                    if kind == "greet421":
                        writer.write(b"421 4.3.2 Service not available, closing channel\r\n")
                        await writer.drain()
                    elif kind == "banner":
                        writer.write(banner)
                        await writer.drain()
                        await reader.read(1000)
                    elif kind == "silent":
                        await reader.read()
                finally:
                    writer.close()

            server = await asyncio.start_server(raw, LAB_HOST, 0)
        servers.append(server)
        port: int = server.sockets[0].getsockname()[1]
        return port

    start.handlers = handlers  # type: ignore[attr-defined]
    yield start
    for s in servers:
        s.close()
    for s in servers:
        try:
            async with asyncio.timeout(1):
                await s.wait_closed()
        except TimeoutError:
            pass


@pytest.fixture
def probe_kwargs(certs: Certs) -> dict[str, Any]:
    """Keyword arguments every loopback probe needs: allow loopback, trust the test CA, short time-outs."""
    return {
        "allow_networks": LOOPBACK,
        "ca_file": certs.ca_file,
        "timeout_s": 4.0,
        "step_timeout_s": STEP,
        "connect_timeout_s": STEP,
    }
