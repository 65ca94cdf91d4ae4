"""open_store: pick the backend from Settings and open it."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.errors import ConfigError
from bot.settings import Settings
from bot.store.base import DEFAULT_THREAD_RETENTION_S, Store

__all__ = ["open_store"]

DEFAULT_RETRY_S = 5.0  # while degraded, try the database again at most this often
REDIS_TIMEOUT_S = 2.0  # a hung Redis must not hold an ack past Slack's 3 s


async def open_store(settings: Settings, *, thread_retention_s: int = DEFAULT_THREAD_RETENTION_S,
                     retry_s: float = DEFAULT_RETRY_S, clock: Callable[[], float] = time.time) -> Store:
    """Open the store named by settings.database_url, plus Redis when settings.redis_url is set.

    SQLite (default) or PostgreSQL; the schema is migrated on open. A malformed URL raises ConfigError;
    an unreachable database does not: the store opens degraded and recovers when the database returns.
    """
    from bot.store.sql import SqlStore, async_url

    async_url(settings.database_url)  # ConfigError before anything is created
    redis = None
    if settings.redis_url:
        from redis.asyncio import Redis

        try:
            redis = Redis.from_url(settings.redis_url, socket_timeout=REDIS_TIMEOUT_S,
                                   socket_connect_timeout=REDIS_TIMEOUT_S, health_check_interval=30)
        except ValueError as exc:
            raise ConfigError("REDIS_URL", f"is not a Redis URL ({exc}); use redis://host:6379/0") from None
    sql = await SqlStore.open(settings.database_url, slack_client_id=settings.slack_client_id,
                              thread_retention_s=thread_retention_s, retry_s=retry_s, clock=clock)
    if redis is None:
        return sql
    from bot.store.redis_layer import SharedStore

    return SharedStore(sql, redis, clock=clock)
