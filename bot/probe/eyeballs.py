"""Every address of a host, Happy Eyeballs style (RFC 8305): which one the session runs on, and how each one did.

`order()` interleaves the families, IPv6 first (RFC 8305 §4). `race()` starts a TCP connection to the first
address, the next one 250 ms later or as soon as the one before it failed (§5), and returns the first socket that
connects. The addresses not yet connected keep trying beside the session, without a byte sent, so the report
has a result per address ("IPv6 broken, IPv4 fine" is a finding of its own); `Race.settle()` collects them when
the session is over and gives up on what is still pending. One address costs nothing extra: one connection,
no timer. Every address reaching this module has passed the SSRF check (targets.check_addresses): connections go
to addresses, never to names.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass

from bot.probe.report import AddressResult, clean_text
from bot.probe.targets import IPAddress

__all__ = ["CONNECTION_ATTEMPT_DELAY_S", "Race", "connect_outcome", "order", "race", "tcp_connect"]

CONNECTION_ATTEMPT_DELAY_S = 0.25  # RFC 8305 §5: the recommended Connection Attempt Delay
_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL, errno.ENETDOWN, errno.EHOSTDOWN}
# When every address fails, the port reports the most telling failure: a refusal means the host answered.
_TELLING = ("refused", "timeout", "error", "unreachable")


async def tcp_connect(address: str, port: int, limit_s: float) -> socket.socket:
    """A connected non-blocking socket to exactly this address (no name resolution anywhere)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        async with asyncio.timeout(limit_s):
            await asyncio.get_running_loop().sock_connect(sock, (address, port))
    except BaseException:
        sock.close()
        raise
    return sock


def connect_outcome(exc: BaseException) -> tuple[str, str]:
    """(status, one-line error) for a failed TCP connection."""
    if isinstance(exc, TimeoutError):
        return "timeout", "no answer to the TCP connection (dropped or filtered)"
    if isinstance(exc, ConnectionRefusedError):
        return "refused", "connection refused (nothing listens on this port)"
    if isinstance(exc, OSError) and exc.errno in _UNREACHABLE:
        return "unreachable", clean_text(exc.strerror or str(exc), 120)
    return "error", clean_text(str(exc) or type(exc).__name__, 120)


def order(addresses: Sequence[IPAddress]) -> tuple[IPAddress, ...]:
    """IPv6 and IPv4 interleaved, IPv6 first, each family in the resolver's order (RFC 8305 §4)."""
    v6: list[IPAddress] = [a for a in addresses if a.version == 6]
    v4: list[IPAddress] = [a for a in addresses if a.version == 4]
    out: list[IPAddress] = []
    for i in range(max(len(v6), len(v4))):
        out += v6[i : i + 1] + v4[i : i + 1]
    return tuple(out)


@dataclass
class _Attempt:
    address: str
    started: float = 0.0
    task: asyncio.Task[None] | None = None
    status: str = "pending"
    connect_ms: float | None = None
    error: str | None = None
    exc: BaseException | None = None

    def result(self, *, used: bool) -> AddressResult:
        return AddressResult(
            address=self.address, status=self.status, connect_ms=self.connect_ms, error=self.error, used=used
        )


@dataclass
class Race:
    """The outcome of `race()`: the winner (index, socket) if any, and every attempt."""

    attempts: list[_Attempt]
    winner: int | None = None
    sock: socket.socket | None = None

    @property
    def address(self) -> str | None:
        """The address the session runs on."""
        return self.attempts[self.winner].address if self.winner is not None else None

    def failure(self) -> BaseException:
        """The most telling failure when no address connected."""
        failed = sorted((a for a in self.attempts if a.exc is not None),
                        key=lambda a: _TELLING.index(a.status) if a.status in _TELLING else len(_TELLING))
        return failed[0].exc if failed and failed[0].exc is not None else TimeoutError()

    def results(self) -> tuple[AddressResult, ...]:
        """One result per address, in the order tried."""
        return tuple(a.result(used=i == self.winner) for i, a in enumerate(self.attempts))

    async def settle(self, grace_s: float = CONNECTION_ATTEMPT_DELAY_S) -> tuple[AddressResult, ...]:
        """Collect the attempts still connecting (each gets at least `grace_s` from its start), then give up on the
        rest: an address that has not connected while another one answered the whole session counts as timed out."""
        pending = [a for a in self.attempts if a.task is not None and not a.task.done()]
        if pending:
            wait = max(grace_s - (time.monotonic() - a.started) for a in pending)
            if wait > 0:
                await asyncio.wait([a.task for a in pending if a.task is not None], timeout=wait)
        for a in self.attempts:
            if a.task is not None and not a.task.done():
                a.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await a.task
                a.status, a.connect_ms = "timeout", _ms(a.started)
                a.error = f"not connected after {a.connect_ms:.0f} ms, while another address answered"
        return self.results()

    def cancel(self) -> None:
        """Stop every attempt still running (the probe's budget ran out); they count as timed out."""
        for a in self.attempts:
            if a.task is not None and not a.task.done():
                a.task.cancel()
            if a.status == "pending":
                a.status, a.error = "timeout", "not connected when the probe stopped"
                a.connect_ms = _ms(a.started) if a.started else None


def _ms(since: float) -> float:
    return round((time.monotonic() - since) * 1000, 1)


async def race(
    addresses: Sequence[IPAddress], port: int, *, limit_s: float, delay_s: float = CONNECTION_ATTEMPT_DELAY_S
) -> Race:
    """Connect to the first address that answers (RFC 8305); the others go on trying (see `Race.settle`)."""
    attempts = [_Attempt(address=str(a)) for a in order(addresses)]
    outcome = Race(attempts=attempts)
    loop = asyncio.get_running_loop()
    won: asyncio.Future[None] = loop.create_future()

    async def attempt(index: int) -> None:
        a = attempts[index]
        try:
            sock = await tcp_connect(a.address, port, limit_s)
        except (OSError, TimeoutError) as exc:
            a.exc, a.connect_ms = exc, _ms(a.started)
            a.status, a.error = connect_outcome(exc)
            return
        a.status, a.connect_ms = "ok", _ms(a.started)
        if outcome.winner is None:
            outcome.winner, outcome.sock = index, sock
            won.set_result(None)
        else:
            sock.close()  # it only had to answer: hang up without a word

    def start(index: int) -> asyncio.Task[None]:
        attempts[index].started = time.monotonic()
        task = loop.create_task(attempt(index))
        attempts[index].task = task
        return task

    try:
        started = 0
        while not won.done() and started < len(attempts):
            task = start(started)
            started += 1
            # the next address starts when this one failed or after the Connection Attempt Delay
            delay = delay_s if started < len(attempts) else None
            await asyncio.wait([won, task], timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        running = [a.task for a in attempts if a.task is not None and not a.task.done()]
        while not won.done() and running:
            await asyncio.wait([won, *running], return_when=asyncio.FIRST_COMPLETED)
            running = [t for t in running if not t.done()]
        for index in range(started, len(attempts)):
            start(index)  # decided: the rest only answer how they connect (nothing is sent to them)
    except BaseException:
        outcome.cancel()
        if outcome.sock is not None:
            outcome.sock.close()
        raise
    return outcome
