"""open_store: pick the backend from Settings and open it."""

from __future__ import annotations

from bot.settings import Settings
from bot.store.base import Store
from bot.store.memory import MemoryStore

__all__ = ["open_store"]


async def open_store(settings: Settings) -> Store:
    """Open the store named by settings.database_url (+ Redis when settings.redis_url is set).

    Interim: returns a MemoryStore until the SQL backend lands (same interface).
    """
    del settings
    return MemoryStore()
