"""The Store interface and the plain data it trades in.

Everything the bot remembers goes through `Store`: processed event ids (retry de-duplication), triage thread
context, diagnoses and feedback, per-channel settings, the probe cache, rate-limit counters and (OAuth mode)
Slack installations. Implementations: `MemoryStore` (tests, console), `SqlStore` (SQLite / PostgreSQL) and
`SharedStore` (SqlStore + Redis for dedupe, rate limits and the probe cache).

Contract for callers on the answer path: `claim_event`, `get_thread`, `put_thread`, `record_diagnosis`,
`record_feedback`, `get_channel_auto`, `probe_cache_*`, `hit_rate_limit` and `counts` never raise because the
database is down; they degrade (see each docstring). Only `feedback_report` raises `StoreError`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "DEFAULT_EVENT_TTL_S",
    "DEFAULT_THREAD_RETENTION_S",
    "RECENT_PASTES_PER_CAUSE",
    "SOURCES",
    "CauseFeedback",
    "FeedbackReport",
    "Store",
    "ThreadContext",
]

DEFAULT_EVENT_TTL_S = 3600           # Slack retries for about 5 minutes; an hour is ample
DEFAULT_THREAD_RETENTION_S = 7 * 24 * 3600  # a triage thread older than a week starts afresh
RECENT_PASTES_PER_CAUSE = 10         # "Didn't help" pastes kept in a report, most recent first
MAX_PASTE_CHARS = 4000               # a stored paste is cut here
SOURCES = frozenset({"command", "message", "thread", "mention", "shortcut", "probe"})


@dataclass(frozen=True, kw_only=True)
class ThreadContext:
    """What the bot knows about one triage thread.

    `text` is the REDACTED accumulated text the bot diagnosed, `last_causes` the cause ids of its last
    answer (best first), `reply_ts` the ts of the bot's reply to update, `updated_at` epoch seconds (the
    store sets it on `put_thread` when left at 0).
    """

    team_id: str
    channel: str
    thread_ts: str
    text: str
    last_causes: tuple[str, ...] = ()
    reply_ts: str | None = None
    updated_at: float = 0.0


@dataclass(frozen=True, kw_only=True)
class CauseFeedback:
    """Feedback figures for one cause id."""

    cause_id: str
    suggested: int = 0
    helpful: int = 0
    not_helpful: int = 0
    pastes: tuple[str, ...] = ()  # redacted pastes that got "Didn't help", most recent first


@dataclass(frozen=True, kw_only=True)
class FeedbackReport:
    """Per-cause feedback, sorted by most "Didn't help" first, then most suggested."""

    team_id: str | None
    causes: tuple[CauseFeedback, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (`smtp-help feedback --json`)."""
        return {"team_id": self.team_id,
                "causes": [{**asdict(c), "pastes": list(c.pastes)} for c in self.causes]}


@runtime_checkable
class Store(Protocol):
    """Everything the bot keeps between events; see the module docstring for the failure contract."""

    installation_store: Any  # slack_sdk AsyncInstallationStore in OAuth mode, else None
    oauth_state_store: Any   # slack_sdk AsyncOAuthStateStore in OAuth mode, else None

    async def claim_event(self, event_id: str, *, ttl_s: int = DEFAULT_EVENT_TTL_S) -> bool:
        """True exactly once per event id across every instance sharing the database / Redis."""
        ...

    async def get_thread(self, team_id: str, channel: str, thread_ts: str) -> ThreadContext | None:
        """The context of a triage thread, or None (unknown or expired)."""
        ...

    async def put_thread(self, ctx: ThreadContext) -> None:
        """Create or replace a thread's context; it expires after the retention period."""
        ...

    async def record_diagnosis(self, *, team_id: str, channel: str, cause_id: str | None, source: str) -> None:
        """Count one answer; `source` is one of SOURCES."""
        ...

    async def record_feedback(self, *, team_id: str, channel: str, user: str, cause_id: str,
                              helpful: bool, paste: str) -> None:
        """Store a Helpful / Didn't help vote; `paste` is redacted (again) before it is stored."""
        ...

    async def get_channel_auto(self, team_id: str, channel: str) -> bool:
        """Whether the bot answers pastes in this channel by itself (default True)."""
        ...

    async def set_channel_auto(self, team_id: str, channel: str, on: bool) -> None:
        """Turn automatic answers in a channel on or off."""
        ...

    async def probe_cache_get(self, key: str) -> dict[str, Any] | None:
        """A cached probe report, or None (absent or expired)."""
        ...

    async def probe_cache_put(self, key: str, report: dict[str, Any], *, ttl_s: int) -> None:
        """Cache a probe report for ttl_s seconds."""
        ...

    async def hit_rate_limit(self, key: str, *, limit: int, window_s: int) -> bool:
        """Count a hit on `key`; True when it is within `limit` hits per `window_s` window."""
        ...

    async def counts(self, team_id: str) -> dict[str, int]:
        """{'diagnoses', 'probes', 'helpful', 'not_helpful'} for App Home (zeros when the DB is down)."""
        ...

    async def feedback_report(self, team_id: str | None = None) -> FeedbackReport:
        """Per-cause feedback; raises StoreError when the database cannot be read."""
        ...

    def is_degraded(self) -> bool:
        """True while the database is unreachable (answers flow, feedback is not stored)."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
