"""What the Slack app needs from the rest of smtp-help, in one container that tests can fill with fakes.

`Services` holds the knowledge base, the store, the probe runner and the diagnosis functions, plus
`Background`: the one place slow work (diagnoses, probes, thread fetches, Web API posts) is started after a
listener has acked,
so Slack's 3-second limit never waits on it, and so a SIGTERM can drain it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from bot.model import Diagnosis
from bot.settings import Settings

if TYPE_CHECKING:  # the types of the seams; their modules load in open_services, not when the app is imported
    import aiohttp

    from bot.kb.model import KnowledgeBase
    from bot.probe.report import ProbeReport
    from bot.probe.runner import ProbeRunner
    from bot.store.base import Store

__all__ = ["ACK_PRIORITY_WINDOW_S", "Background", "Diagnose", "FixText", "Services", "open_services"]

log = logging.getLogger(__name__)

# CPU work after an ack waits until no request has arrived for this long (bounded by MAX_DEFER_S), so a burst
# of commands is acked first and diagnosed right after: acks are what Slack times, answers have 30 minutes.
ACK_PRIORITY_WINDOW_S = 0.005
MAX_DEFER_S = 2.0
DRAIN_TIMEOUT_S = 25.0  # Heroku gives 30 s between SIGTERM and SIGKILL


class Background:
    """Tasks started after an ack: tracked (never garbage-collected mid-flight), logged, drainable."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._clock = clock
        self._last_request = 0.0
        # work waiting for a quiet moment, oldest first: (deadline, future to resolve); one pump releases it,
        # so N waiting diagnoses cost one timer, not N pollers waking every few milliseconds
        self._waiters: deque[tuple[float, asyncio.Future[None]]] = deque()
        self._pump: asyncio.Task[None] | None = None
        self.accepting = True

    def saw_request(self) -> None:
        """Note that a request from Slack arrived (the ack path calls this)."""
        self._last_request = self._clock()

    def _busy(self) -> bool:
        return self._clock() - self._last_request < ACK_PRIORITY_WINDOW_S

    async def quiet(self) -> None:
        """Wait until acks are not queued behind us: no request in the last ACK_PRIORITY_WINDOW_S seconds
        (at most MAX_DEFER_S). Waiters are released one at a time, oldest first."""
        if not self._busy() and not self._waiters:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((self._clock() + MAX_DEFER_S, fut))
        if self._pump is None or self._pump.done():
            self._pump = asyncio.get_running_loop().create_task(self._release(), name="background-quiet")
        await fut

    async def _release(self) -> None:
        while self._waiters:
            deadline, fut = self._waiters[0]
            now = self._clock()
            if fut.done():  # its task was cancelled
                self._waiters.popleft()
            elif not self._busy() or now >= deadline:
                self._waiters.popleft()
                fut.set_result(None)
                await asyncio.sleep(0)  # the released task runs its CPU work before the next is let go
            else:
                await asyncio.sleep(min(ACK_PRIORITY_WINDOW_S, max(deadline - now, 0.0)))

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """Run `coro` in the background; exceptions are logged with the task name, never lost."""
        task = asyncio.get_running_loop().create_task(self._guard(coro, name), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @staticmethod
    async def _guard(coro: Awaitable[Any], name: str) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background task %s failed", name)

    @property
    def pending(self) -> int:
        """How many background tasks are still running."""
        return len(self._tasks)

    async def drain(self, timeout_s: float = DRAIN_TIMEOUT_S) -> int:
        """Wait for running tasks; cancel what is left after timeout_s and return how many."""
        self.accepting = False
        if not self._tasks:
            return 0
        _done, left = await asyncio.wait(set(self._tasks), timeout=timeout_s)
        for task in left:
            task.cancel()
        return len(left)


class Diagnose(Protocol):
    """bot.diagnose.diagnose's signature: a paste (and a probe report) in, a Diagnosis out."""

    def __call__(self, text: str | bytes, *, kb: KnowledgeBase, probe: ProbeReport | None = None) -> Diagnosis:
        """Diagnose `text` against `kb`."""
        ...


class FixText(Protocol):
    """bot.render.fix.fix_text's signature: the numbered fix steps for a cause of a diagnosis."""

    def __call__(self, diagnosis: Diagnosis, kb: KnowledgeBase, cause_id: str | None = None, *,
                 mrkdwn: bool) -> str:
        """The fix text (mrkdwn for Slack)."""
        ...


@dataclass(kw_only=True)
class Services:
    """Everything listeners call besides Slack itself. Build with `open_services`, or by hand in tests."""

    settings: Settings
    kb: KnowledgeBase
    store: Store
    probe: ProbeRunner
    diagnose: Diagnose  # bot.diagnose.diagnose
    fix_text: FixText  # bot.render.fix.fix_text
    background: Background = field(default_factory=Background)
    http: aiohttp.ClientSession | None = None  # shared by the Web API client and response_url posts
    clock: Callable[[], float] = time.time
    # Extra keyword arguments for every probe (bot.probe.run_probe's port_map / ca_file): for tests and the lab
    # only, never filled from user input or the environment, so production keeps the port allow-list and
    # PROBE_ALLOW_NETWORKS as they are.
    probe_options: Mapping[str, Any] = field(default_factory=dict)

    def run_diagnosis(self, text: str, *, probe: ProbeReport | None = None) -> Diagnosis:
        """Diagnose a paste against this app's knowledge base; `probe` (a ProbeReport) adds its findings."""
        if probe is None:
            return self.diagnose(text, kb=self.kb)
        return self.diagnose(text, kb=self.kb, probe=probe)

    async def close(self) -> None:
        """Release the probe runner and the store."""
        for closer in (self.probe.close, self.store.close):
            try:
                await closer()
            except Exception:
                log.exception("closing %r failed", closer)


async def open_services(settings: Settings) -> Services:
    """Production wiring: the knowledge base from settings.knowledge_dir, the store, the probe runner."""
    from bot.diagnose import diagnose
    from bot.kb import load_knowledge_base
    from bot.probe.runner import make_probe_runner
    from bot.render.fix import fix_text
    from bot.store import open_store

    kb = load_knowledge_base(settings.knowledge_dir)
    store = await open_store(settings)
    return Services(
        settings=settings,
        kb=kb,
        store=store,
        probe=make_probe_runner(settings, store),
        diagnose=diagnose,
        fix_text=fix_text,
    )
