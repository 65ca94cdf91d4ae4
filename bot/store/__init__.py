"""State that survives restarts and scales out, behind one small interface.

    open_store(settings) -> Store
        sqlite:///path (default, zero setup) or postgresql://... by DATABASE_URL; schema created and migrated
        (Alembic) on open; REDIS_URL adds Redis for event de-duplication, rate limits and the probe cache.
    MemoryStore()            in-process, for unit tests and the console
    make_probe_runner(...)   in-process probes, or an arq job queue on Redis served by `smtp-help worker`
"""

from __future__ import annotations

from bot.store.base import (
    DEFAULT_EVENT_TTL_S,
    DEFAULT_THREAD_RETENTION_S,
    CauseFeedback,
    FeedbackReport,
    Store,
    ThreadContext,
)
from bot.store.factory import open_store
from bot.store.memory import MemoryStore
from bot.store.queue import ArqProbeRunner, LocalProbeRunner, ProbeRunner, make_probe_runner

__all__ = [
    "DEFAULT_EVENT_TTL_S",
    "DEFAULT_THREAD_RETENTION_S",
    "ArqProbeRunner",
    "CauseFeedback",
    "FeedbackReport",
    "LocalProbeRunner",
    "MemoryStore",
    "ProbeRunner",
    "Store",
    "ThreadContext",
    "make_probe_runner",
    "open_store",
]
