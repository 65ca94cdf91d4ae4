"""Probe runners: in-process, or an arq job queue on Redis so probes spread over `smtp-help worker` processes.

Both cache reports in the store's probe cache (Redis when configured, so every instance shares it).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Protocol, runtime_checkable

from bot.errors import ProbeError
from bot.settings import Settings
from bot.store.base import Store

__all__ = [
    "PROBE_CACHE_TTL_S",
    "PROBE_JOB",
    "ArqProbeRunner",
    "LocalProbeRunner",
    "ProbeRunner",
    "cache_key",
    "make_probe_runner",
    "run_probe_dict",
]

PROBE_CACHE_TTL_S = 300      # a probe result is reused for five minutes (security.md §4.3)
PROBE_JOB = "probe_job"      # arq function name served by bot.store.worker
QUEUE_MARGIN_S = 10.0        # time a queued job may wait for a free worker on top of the probe budget


@runtime_checkable
class ProbeRunner(Protocol):
    """Run a live probe and return its report as a dict (ProbeReport.to_dict())."""

    async def run(self, target: str, **kw: Any) -> dict[str, Any]:
        """Probe `target`; keyword arguments go to bot.probe.run_probe (e.g. ports=)."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


def cache_key(target: str, kw: dict[str, Any]) -> str:
    """Probe-cache key for a target and its options. Pure."""
    return "probe:" + target.strip().lower() + ":" + json.dumps(kw, sort_keys=True, default=str)


async def run_probe_dict(settings: Settings, target: str, **kw: Any) -> dict[str, Any]:
    """Call bot.probe.run_probe with the settings' allow-list and budget; return the report dict."""
    from bot.probe import run_probe

    kw.setdefault("allow_networks", settings.probe_allow_networks)
    kw.setdefault("timeout_s", settings.probe_timeout_s)
    report = await run_probe(target, **kw)
    result: dict[str, Any] = report.to_dict()
    return result


class _CachingRunner:
    def __init__(self, settings: Settings, store: Store, *, cache_ttl_s: int = PROBE_CACHE_TTL_S) -> None:
        self._settings = settings
        self._store = store
        self._cache_ttl_s = cache_ttl_s

    async def run(self, target: str, **kw: Any) -> dict[str, Any]:
        """Return a cached report when fresh, else probe and cache."""
        key = cache_key(target, kw)
        cached = await self._store.probe_cache_get(key)
        if cached is not None:
            return cached
        report = await self._probe(target, **kw)
        await self._store.probe_cache_put(key, report, ttl_s=self._cache_ttl_s)
        return report

    async def _probe(self, target: str, **kw: Any) -> dict[str, Any]:
        raise NotImplementedError

    async def close(self) -> None:
        """Nothing to release by default."""


class LocalProbeRunner(_CachingRunner):
    """Probes in this process, at most settings.probe_concurrency at a time."""

    def __init__(self, settings: Settings, store: Store, *, cache_ttl_s: int = PROBE_CACHE_TTL_S) -> None:
        super().__init__(settings, store, cache_ttl_s=cache_ttl_s)
        self._slots = asyncio.Semaphore(settings.probe_concurrency)

    async def _probe(self, target: str, **kw: Any) -> dict[str, Any]:
        async with self._slots:
            return await run_probe_dict(self._settings, target, **kw)


class ArqProbeRunner(_CachingRunner):
    """Enqueues a probe job on Redis (arq) and awaits the result a worker produces."""

    def __init__(self, settings: Settings, store: Store, *, cache_ttl_s: int = PROBE_CACHE_TTL_S) -> None:
        super().__init__(settings, store, cache_ttl_s=cache_ttl_s)
        if not settings.redis_url:
            raise ValueError("ArqProbeRunner needs settings.redis_url")
        self._pool: Any = None
        self._pool_lock = asyncio.Lock()

    async def _get_pool(self) -> Any:
        async with self._pool_lock:
            if self._pool is None:
                from arq import create_pool
                from arq.connections import RedisSettings

                assert self._settings.redis_url is not None
                self._pool = await create_pool(RedisSettings.from_dsn(self._settings.redis_url))
            return self._pool

    async def _probe(self, target: str, **kw: Any) -> dict[str, Any]:
        pool = await self._get_pool()
        job = await pool.enqueue_job(PROBE_JOB, target, kw)
        if job is None:  # pragma: no cover - only with an explicit duplicate _job_id
            raise ProbeError("the probe job could not be queued")
        try:
            result: dict[str, Any] = await job.result(timeout=self._settings.probe_timeout_s + QUEUE_MARGIN_S,
                                                      poll_delay=0.1)
        except TimeoutError as exc:
            raise ProbeError("no probe worker answered in time (is `smtp-help worker` running?)") from exc
        return result

    async def close(self) -> None:
        """Close the Redis pool."""
        if self._pool is not None:
            await self._pool.aclose()
            self._pool = None


def make_probe_runner(settings: Settings, store: Store) -> ProbeRunner:
    """The arq queue when REDIS_URL is set, else in-process probes."""
    if settings.redis_url:
        return ArqProbeRunner(settings, store)
    return LocalProbeRunner(settings, store)
