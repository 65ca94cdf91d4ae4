"""State that survives restarts and scales out, behind one small interface.

    open_store(settings) -> Store
        sqlite:///path (default, zero setup) or postgresql://... by DATABASE_URL; schema created and migrated
        (Alembic) on open; REDIS_URL adds Redis for event de-duplication, rate limits and the probe cache.
    MemoryStore()            in-process, for unit tests and the console

Probe runners (in-process or the arq queue) live in bot/probe/runner.py; they keep reports in a store's probe
cache without the store knowing what a probe is.
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

__all__ = [
    "DEFAULT_EVENT_TTL_S",
    "DEFAULT_THREAD_RETENTION_S",
    "CauseFeedback",
    "FeedbackReport",
    "MemoryStore",
    "Store",
    "ThreadContext",
    "open_store",
]
