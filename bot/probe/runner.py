"""Probe runners: in-process, or an arq job queue on Redis so probes spread over `smtp-help worker` processes.

Every runner returns a ProbeReport. JSON exists only at this module's edges: the probe cache (any store
implementing ProbeCache; Redis when configured, so every instance shares it) and the arq job's result, both
written and read by the report's codec. The probe package never imports the store: the store is handed in.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Protocol, runtime_checkable

from bot.errors import CodecError, ProbeError
from bot.probe.report import ProbeReport
from bot.probe.targets import canonical_target
from bot.settings import Settings

__all__ = [
    "PROBES_PER_TARGET",
    "PROBE_CACHE_TTL_S",
    "PROBE_JOB",
    "ArqProbeRunner",
    "LocalProbeRunner",
    "ProbeCache",
    "ProbeRunner",
    "cache_key",
    "load_report",
    "make_probe_runner",
    "probe_now",
]

log = logging.getLogger(__name__)

PROBE_CACHE_TTL_S = 300      # a probe result is reused for five minutes (security.md §4.3)
PROBES_PER_TARGET = (10, 600)  # connections to one host, across users, spellings and instances (security.md §4.3)
PROBE_JOB = "probe_job"      # arq function name served by bot.commands.worker
QUEUE_MARGIN_S = 10.0        # time a queued job may wait for a free worker on top of the probe budget


class ProbeCache(Protocol):
    """Where reports are kept for a few minutes, as JSON documents (bot.store.Store implements it)."""

    async def probe_cache_get(self, key: str) -> dict[str, Any] | None:
        """The document under `key`, or None."""
        ...

    async def probe_cache_put(self, key: str, report: dict[str, Any], *, ttl_s: int) -> None:
        """Keep `report` under `key` for `ttl_s` seconds."""
        ...


@runtime_checkable
class ProbeRunner(Protocol):
    """Run a live probe and return its report."""

    async def run(self, target: str, **kw: Any) -> ProbeReport:
        """Probe `target`; keyword arguments go to bot.probe.run.run_probe (e.g. ports=)."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


def cache_key(target: str, kw: dict[str, Any]) -> str:
    """Probe-cache key for a target and its options. Pure."""
    return "probe:" + target.strip().lower() + ":" + json.dumps(kw, sort_keys=True, default=str)


def load_report(doc: dict[str, Any] | None) -> ProbeReport | None:
    """A report read back from the cache or the queue; None (logged) when the document is not one."""
    if doc is None:
        return None
    try:
        return ProbeReport.from_dict(doc)
    except CodecError:
        log.warning("a cached probe report has another shape; probing again", exc_info=True)
        return None


async def probe_now(settings: Settings, target: str, **kw: Any) -> ProbeReport:
    """Probe in this process with the settings' allow-list and budget: no cache, no queue (the login test and
    the worker call this; the runners below add the cache)."""
    # The network stack (dnspython, aiosmtplib) is imported when the first probe runs, not when the web
    # process starts (tests/slack/test_footprint.py pins that).
    from bot.probe.dns import configured_nameservers
    from bot.probe.run import run_probe

    kw.setdefault("allow_networks", settings.probe_allow_networks)
    kw.setdefault("timeout_s", settings.probe_timeout_s)
    if kw.get("resolver") is None:
        kw.setdefault("nameservers", configured_nameservers(settings))  # one resolver setting, every path
    return await run_probe(target, **kw)


class _CachingRunner:
    def __init__(self, settings: Settings, cache: ProbeCache, *, cache_ttl_s: int = PROBE_CACHE_TTL_S) -> None:
        self._settings = settings
        self._cache = cache
        self._cache_ttl_s = cache_ttl_s
        self._inflight: dict[str, asyncio.Future[ProbeReport]] = {}

    async def run(self, target: str, **kw: Any) -> ProbeReport:
        """Return a cached report when fresh, else probe and cache.

        Spellings of one target share the cache key; concurrent asks for the same key share one probe; and each
        host gets at most PROBES_PER_TARGET connections per window across users and spellings (counted in the
        store when it keeps rate limits, so instances sharing it share the count)."""
        host, canonical = canonical_target(target)
        key = cache_key(canonical, kw)
        cached = load_report(await self._cache.probe_cache_get(key))
        if cached is not None:
            return cached
        running = self._inflight.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[ProbeReport] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            report = await self._limited(host, target, kw)
            await self._cache.probe_cache_put(key, report.to_dict(), ttl_s=self._cache_ttl_s)
            future.set_result(report)
            return report
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody else was waiting
            raise
        finally:
            del self._inflight[key]

    async def _limited(self, host: str, target: str, kw: dict[str, Any]) -> ProbeReport:
        hit = getattr(self._cache, "hit_rate_limit", None)
        if hit is not None and not await hit(f"probe:target:{host}", limit=PROBES_PER_TARGET[0],
                                             window_s=PROBES_PER_TARGET[1]):
            raise ProbeError(f"{host} was probed {PROBES_PER_TARGET[0]} times in the last "
                             f"{PROBES_PER_TARGET[1] // 60} minutes; try again in a few minutes")
        return await self._probe(target, **kw)

    async def _probe(self, target: str, **kw: Any) -> ProbeReport:
        raise NotImplementedError

    async def close(self) -> None:
        """Nothing to release by default."""


class LocalProbeRunner(_CachingRunner):
    """Probes in this process, at most settings.probe_concurrency at a time."""

    def __init__(self, settings: Settings, cache: ProbeCache, *, cache_ttl_s: int = PROBE_CACHE_TTL_S) -> None:
        super().__init__(settings, cache, cache_ttl_s=cache_ttl_s)
        self._slots = asyncio.Semaphore(settings.probe_concurrency)

    async def _probe(self, target: str, **kw: Any) -> ProbeReport:
        async with self._slots:
            return await probe_now(self._settings, target, **kw)


class ArqProbeRunner(_CachingRunner):
    """Enqueues a probe job on Redis (arq) and awaits the report a worker produces."""

    def __init__(self, settings: Settings, cache: ProbeCache, *, cache_ttl_s: int = PROBE_CACHE_TTL_S) -> None:
        super().__init__(settings, cache, cache_ttl_s=cache_ttl_s)
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

    async def _probe(self, target: str, **kw: Any) -> ProbeReport:
        pool = await self._get_pool()
        job = await pool.enqueue_job(PROBE_JOB, target, kw)
        if job is None:  # pragma: no cover - only with an explicit duplicate _job_id
            raise ProbeError("the probe job could not be queued")
        try:
            doc = await job.result(timeout=self._settings.probe_timeout_s + QUEUE_MARGIN_S, poll_delay=0.1)
        except TimeoutError as exc:
            raise ProbeError("no probe worker answered in time (is `smtp-help worker` running?)") from exc
        report = load_report(doc)
        if report is None:
            raise ProbeError("the probe worker answered with something that is not a report")
        return report

    async def close(self) -> None:
        """Close the Redis pool."""
        if self._pool is not None:
            await self._pool.aclose()
            self._pool = None


def make_probe_runner(settings: Settings, cache: ProbeCache) -> ProbeRunner:
    """The arq queue when REDIS_URL is set, else in-process probes."""
    if settings.redis_url:
        return ArqProbeRunner(settings, cache)
    return LocalProbeRunner(settings, cache)
