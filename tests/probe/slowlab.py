"""A far-away SMTP server on loopback: aiosmtpd whose every reply waits (greeting after 0.8 s, each reply 0.4 s).

The delay is per reply, not per line (a multi-line EHLO answer waits once), so the handshake's own round trips
are exact: STARTTLS port = greeting + EHLO + STARTTLS + EHLO = 0.8 + 3 x 0.4 = 2.0 s; implicit TLS = 1.2 s.
Used by tests/probe/test_speed.py (in the test's loop) and bench/probe_bench.py (in a thread, so swaks can
reach it too).
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from typing import Any, AnyStr

from aiosmtpd.smtp import SMTP

GREETING_DELAY_S = 0.8
REPLY_DELAY_S = 0.4


class SlowSMTP(SMTP):
    """aiosmtpd that waits before the first line of every reply."""

    def __init__(self, *args: Any, greeting_delay: float = GREETING_DELAY_S,
                 reply_delay: float = REPLY_DELAY_S, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._delays = (greeting_delay, reply_delay)
        self._greeted = False
        self._reply_done = True

    async def push(self, status: AnyStr) -> None:
        text = status if isinstance(status, str) else status.decode("ascii", "replace")
        if self._reply_done:
            await asyncio.sleep(self._delays[1] if self._greeted else self._delays[0])
            self._greeted = True
        self._reply_done = not (len(text) > 3 and text[3] == "-")
        await super().push(status)


class _Handler:
    async def handle_MAIL(self, *args: Any) -> str:  # never reached by the probe
        return "550 not here"


async def start_slow_servers(tls: ssl.SSLContext, host: str = "127.0.0.1") -> dict[str, Any]:
    """Two servers in the running loop: 'starttls' (STARTTLS offered) and 'implicit' (TLS from the first byte)."""
    loop = asyncio.get_running_loop()
    starttls = await loop.create_server(
        lambda: SlowSMTP(_Handler(), hostname="mail.lab.test", tls_context=tls), host, 0
    )
    implicit = await loop.create_server(lambda: SlowSMTP(_Handler(), hostname="mail.lab.test"), host, 0, ssl=tls)
    return {"starttls": starttls, "implicit": implicit}


def port_of(server: asyncio.base_events.Server) -> int:
    """The TCP port a started server listens on."""
    port: int = server.sockets[0].getsockname()[1]
    return port


class SlowLabThread:
    """The slow servers in a thread of their own, for callers outside an event loop (the bench, swaks)."""

    def __init__(self, tls: ssl.SSLContext) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.servers = asyncio.run_coroutine_threadsafe(start_slow_servers(tls), self._loop).result(10)
        self.ports = {name: port_of(s) for name, s in self.servers.items()}

    def stop(self) -> None:
        """Close the servers and the loop."""
        for s in self.servers.values():
            self._loop.call_soon_threadsafe(s.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
