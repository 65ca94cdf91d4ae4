"""In-process Store: unit tests, the local console, and the fallback of a degraded SQL store."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from bot.store.base import (
    DEFAULT_EVENT_TTL_S,
    DEFAULT_THREAD_RETENTION_S,
    MAX_PASTE_CHARS,
    RECENT_PASTES_PER_CAUSE,
    SOURCES,
    CauseFeedback,
    FeedbackReport,
    ThreadContext,
)
from bot.store.scrub import scrub_async

__all__ = ["MemoryStore", "build_report", "check_source"]

Clock = Callable[[], float]


def check_source(source: str) -> None:
    """Reject an unknown diagnosis source (a programming error, not a runtime condition)."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {sorted(SOURCES)}, got {source!r}")


def build_report(team_id: str | None, suggested: Counter[str], helpful: Counter[str],
                 not_helpful: Counter[str], pastes: dict[str, list[str]]) -> FeedbackReport:
    """Assemble a FeedbackReport from per-cause tallies (pastes most recent first). Pure."""
    ids = set(suggested) | set(helpful) | set(not_helpful)
    causes = [CauseFeedback(cause_id=c, suggested=suggested[c], helpful=helpful[c], not_helpful=not_helpful[c],
                            pastes=tuple(pastes.get(c, ())[:RECENT_PASTES_PER_CAUSE])) for c in ids]
    causes.sort(key=lambda c: (-c.not_helpful, -c.suggested, c.cause_id))
    return FeedbackReport(team_id=team_id, causes=tuple(causes))


class MemoryStore:
    """Everything in dicts; nothing survives the process. `clock` is injectable for retention tests."""

    installation_store: Any = None
    oauth_state_store: Any = None

    def __init__(self, *, thread_retention_s: int = DEFAULT_THREAD_RETENTION_S, clock: Clock = time.time) -> None:
        self._clock = clock
        self._thread_retention_s = thread_retention_s
        self._events: dict[str, float] = {}
        self._threads: dict[tuple[str, str, str], tuple[float, ThreadContext]] = {}
        self._diagnoses: list[tuple[str, str, str | None, str]] = []
        self._feedback: list[tuple[str, str, str, bool, str]] = []  # team, channel, cause, helpful, paste
        self._auto: dict[tuple[str, str], bool] = {}
        self._probes: dict[str, tuple[float, dict[str, Any]]] = {}
        self._hits: dict[tuple[str, int], int] = {}
        self._lock = asyncio.Lock()

    async def claim_event(self, event_id: str, *, ttl_s: int = DEFAULT_EVENT_TTL_S) -> bool:
        """True the first time an id is seen within ttl_s (this process only)."""
        now = self._clock()
        expires = self._events.get(event_id)
        if expires is not None and expires > now:
            return False
        self._events[event_id] = now + ttl_s
        if len(self._events) > 100_000:
            self._events = {k: v for k, v in self._events.items() if v > now}
        return True

    async def get_thread(self, team_id: str, channel: str, thread_ts: str) -> ThreadContext | None:
        """The thread's context unless it has expired."""
        hit = self._threads.get((team_id, channel, thread_ts))
        if hit is None or hit[0] <= self._clock():
            return None
        return hit[1]

    async def put_thread(self, ctx: ThreadContext) -> None:
        """Store a scrubbed copy; it expires thread_retention_s from now."""
        now = self._clock()
        stored = dataclasses.replace(ctx, text=await scrub_async(ctx.text), updated_at=ctx.updated_at or now)
        self._threads[(ctx.team_id, ctx.channel, ctx.thread_ts)] = (now + self._thread_retention_s, stored)

    async def record_diagnosis(self, *, team_id: str, channel: str, cause_id: str | None, source: str) -> None:
        """Count one answer."""
        check_source(source)
        self._diagnoses.append((team_id, channel, cause_id, source))

    async def record_feedback(self, *, team_id: str, channel: str, user: str, cause_id: str,
                              helpful: bool, paste: str) -> None:
        """Keep a vote and its scrubbed paste (the user id is not kept)."""
        self._feedback.append((team_id, channel, cause_id, helpful, (await scrub_async(paste))[:MAX_PASTE_CHARS]))

    async def get_channel_auto(self, team_id: str, channel: str) -> bool:
        """Default True."""
        return self._auto.get((team_id, channel), True)

    async def set_channel_auto(self, team_id: str, channel: str, on: bool) -> None:
        """Remember the channel's setting."""
        self._auto[(team_id, channel)] = on

    async def probe_cache_get(self, key: str) -> dict[str, Any] | None:
        """The cached report unless expired."""
        hit = self._probes.get(key)
        if hit is None or hit[0] <= self._clock():
            return None
        return hit[1]

    async def probe_cache_put(self, key: str, report: dict[str, Any], *, ttl_s: int) -> None:
        """Cache a report."""
        self._probes[key] = (self._clock() + ttl_s, report)

    async def hit_rate_limit(self, key: str, *, limit: int, window_s: int) -> bool:
        """Fixed-window counter."""
        window = int(self._clock() // window_s)
        slot = (key, window)
        self._hits[slot] = self._hits.get(slot, 0) + 1
        if len(self._hits) > 100_000:
            self._hits = {k: v for k, v in self._hits.items() if k[1] >= window - 1}
        return self._hits[slot] <= limit

    async def counts(self, team_id: str) -> dict[str, int]:
        """Figures for App Home."""
        mine = [d for d in self._diagnoses if d[0] == team_id]
        votes = [f for f in self._feedback if f[0] == team_id]
        return {"diagnoses": sum(1 for d in mine if d[3] != "probe"),
                "probes": sum(1 for d in mine if d[3] == "probe"),
                "helpful": sum(1 for f in votes if f[3]),
                "not_helpful": sum(1 for f in votes if not f[3])}

    async def feedback_report(self, team_id: str | None = None) -> FeedbackReport:
        """Per-cause feedback for one team or all."""
        suggested: Counter[str] = Counter(d[2] for d in self._diagnoses
                                          if d[2] and (team_id is None or d[0] == team_id))
        helpful: Counter[str] = Counter()
        not_helpful: Counter[str] = Counter()
        pastes: dict[str, list[str]] = defaultdict(list)
        for team, _channel, cause, ok, paste in reversed(self._feedback):
            if team_id is not None and team != team_id:
                continue
            (helpful if ok else not_helpful)[cause] += 1
            if not ok and paste:
                pastes[cause].append(paste)
        return build_report(team_id, suggested, helpful, not_helpful, pastes)

    def is_degraded(self) -> bool:
        """Never: memory is always there."""
        return False

    async def close(self) -> None:
        """Nothing to release."""

