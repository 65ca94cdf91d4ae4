"""SharedStore: a SqlStore plus Redis for what every instance must see at once.

Redis takes event de-duplication (SET NX EX), rate limits (INCR + EXPIRE per fixed window) and the probe
cache (SET EX); everything else goes to the SQL store. If Redis fails, those calls fall back to the SQL
store (one error logged per outage) so answers keep flowing.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.store.base import DEFAULT_EVENT_TTL_S, FeedbackReport, ThreadContext
from bot.store.sql import SqlStore

__all__ = ["KEY_PREFIX", "SharedStore"]

log = logging.getLogger(__name__)

KEY_PREFIX = "smtp-help:"
T = TypeVar("T")


class SharedStore:
    """SqlStore for durable data, Redis for shared short-lived data."""

    def __init__(self, sql: SqlStore, redis: Redis, *, clock: Callable[[], float] = time.time) -> None:
        self.sql = sql
        self.redis = redis
        self._clock = clock
        self._redis_ok = True
        self.installation_store: Any = sql.installation_store
        self.oauth_state_store: Any = sql.oauth_state_store

    async def _r(self, op: Callable[[], Awaitable[T]], fallback: Callable[[], Awaitable[T]]) -> T:
        try:
            result = await op()
        except (RedisError, OSError) as exc:
            if self._redis_ok:
                log.error("redis unreachable (%s: %s): de-duplication, rate limits and the probe cache fall "
                          "back to the database", exc.__class__.__name__, exc)
            self._redis_ok = False
            return await fallback()
        if not self._redis_ok:
            log.warning("redis reachable again")
            self._redis_ok = True
        return result

    async def claim_event(self, event_id: str, *, ttl_s: int = DEFAULT_EVENT_TTL_S) -> bool:
        """SET NX EX: exactly one instance gets True."""
        async def op() -> bool:
            return bool(await self.redis.set(f"{KEY_PREFIX}event:{event_id}", b"1", nx=True, ex=ttl_s))

        return await self._r(op, lambda: self.sql.claim_event(event_id, ttl_s=ttl_s))

    async def hit_rate_limit(self, key: str, *, limit: int, window_s: int) -> bool:
        """INCR the current window's counter; it expires with the window."""
        async def op() -> bool:
            window = int(self._clock() // window_s)
            rkey = f"{KEY_PREFIX}rl:{key}:{window}"
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.incr(rkey)
                pipe.expire(rkey, window_s * 2)
                count, _ = await pipe.execute()
            return int(count) <= limit

        return await self._r(op, lambda: self.sql.hit_rate_limit(key, limit=limit, window_s=window_s))

    async def probe_cache_get(self, key: str) -> dict[str, Any] | None:
        """GET the JSON report."""
        async def op() -> dict[str, Any] | None:
            raw = await self.redis.get(f"{KEY_PREFIX}{key}")
            return None if raw is None else dict(json.loads(raw))

        return await self._r(op, lambda: self.sql.probe_cache_get(key))

    async def probe_cache_put(self, key: str, report: dict[str, Any], *, ttl_s: int) -> None:
        """SET EX the JSON report."""
        async def op() -> None:
            await self.redis.set(f"{KEY_PREFIX}{key}", json.dumps(report, default=str), ex=ttl_s)

        await self._r(op, lambda: self.sql.probe_cache_put(key, report, ttl_s=ttl_s))

    # -- durable data: the SQL store -----------------------------------------------------------------------

    async def get_thread(self, team_id: str, channel: str, thread_ts: str) -> ThreadContext | None:
        """See SqlStore.get_thread."""
        return await self.sql.get_thread(team_id, channel, thread_ts)

    async def put_thread(self, ctx: ThreadContext) -> None:
        """See SqlStore.put_thread."""
        await self.sql.put_thread(ctx)

    async def record_diagnosis(self, *, team_id: str, channel: str, cause_id: str | None, source: str) -> None:
        """See SqlStore.record_diagnosis."""
        await self.sql.record_diagnosis(team_id=team_id, channel=channel, cause_id=cause_id, source=source)

    async def record_feedback(self, *, team_id: str, channel: str, user: str, cause_id: str,
                              helpful: bool, paste: str) -> None:
        """See SqlStore.record_feedback."""
        await self.sql.record_feedback(team_id=team_id, channel=channel, user=user, cause_id=cause_id,
                                       helpful=helpful, paste=paste)

    async def get_channel_auto(self, team_id: str, channel: str) -> bool:
        """See SqlStore.get_channel_auto."""
        return await self.sql.get_channel_auto(team_id, channel)

    async def set_channel_auto(self, team_id: str, channel: str, on: bool) -> None:
        """See SqlStore.set_channel_auto."""
        await self.sql.set_channel_auto(team_id, channel, on)

    async def counts(self, team_id: str) -> dict[str, int]:
        """See SqlStore.counts."""
        return await self.sql.counts(team_id)

    async def feedback_report(self, team_id: str | None = None) -> FeedbackReport:
        """See SqlStore.feedback_report."""
        return await self.sql.feedback_report(team_id)

    def is_degraded(self) -> bool:
        """True while the database (or Redis) is unreachable."""
        return self.sql.is_degraded() or not self._redis_ok

    async def close(self) -> None:
        """Close Redis and the SQL store."""
        await self.redis.aclose()
        await self.sql.close()
