"""Limits on the probe as a service: a global concurrency cap and a rate-limit hook the bot supplies.

The probe library does not know about users or channels; the Slack app passes a `RateLimiter` (any object
with `async def acquire(key: RateKey) -> bool`) whose policy lives with the bot (security.md §4.3: per user,
channel, workspace and target). `ProbeLimits` caps how many probes run at once in this process.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.errors import ProbeError

__all__ = ["DEFAULT_CONCURRENCY", "ProbeLimits", "RateKey", "RateLimiter"]

DEFAULT_CONCURRENCY = 8


@dataclass(frozen=True, kw_only=True)
class RateKey:
    """Who asks to probe what; every field is optional so the CLI can pass only the target."""

    target: str
    user: str | None = None
    channel: str | None = None
    workspace: str | None = None


@runtime_checkable
class RateLimiter(Protocol):
    """The hook: return False to refuse this probe."""

    async def acquire(self, key: RateKey) -> bool:
        """True if the probe may run now."""
        ...


class ProbeLimits:
    """A process-wide cap on concurrent probes, with a bounded wait for a free slot."""

    def __init__(self, concurrency: int = DEFAULT_CONCURRENCY, *, wait_s: float = 10.0) -> None:
        self._semaphore = asyncio.Semaphore(concurrency)
        self.concurrency = concurrency
        self.wait_s = wait_s

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one probe slot; ProbeError if none frees up within `wait_s`."""
        try:
            async with asyncio.timeout(self.wait_s):
                await self._semaphore.acquire()
        except TimeoutError:
            raise ProbeError("too many probes are running; try again in a minute") from None
        try:
            yield
        finally:
            self._semaphore.release()
