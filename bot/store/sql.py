"""SqlStore: SQLite (default, zero setup) or PostgreSQL, through SQLAlchemy's async engine.

The schema is created and migrated by Alembic when the store opens (PostgreSQL: under an advisory lock, so
instances starting together do not race). When the database is unreachable the store runs degraded: answers
keep flowing (dedupe, thread context, channel settings, probe cache and rate limits fall back to process
memory), diagnoses and feedback are not stored, ONE error is logged per outage, and every few seconds a call
tries the database again; when it answers, the store migrates if needed and resumes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import bindparam, case, delete, event, func, inspect, select, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.errors import ConfigError, StoreError
from bot.store import schema as t
from bot.store.base import (
    DEFAULT_EVENT_TTL_S,
    DEFAULT_THREAD_RETENTION_S,
    MAX_PASTE_CHARS,
    RECENT_PASTES_PER_CAUSE,
    FeedbackReport,
    ThreadContext,
)
from bot.store.memory import MemoryStore, build_report, check_source
from bot.store.scrub import scrub_async

__all__ = ["DEFAULT_RETRY_S", "SqlStore", "async_url"]

log = logging.getLogger(__name__)
logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per revision at every start is noise

DEFAULT_RETRY_S = 5.0        # while degraded, try the database again at most this often
CONNECT_TIMEOUT_S = 3        # a dead PostgreSQL host must not stall an answer for long
PRUNE_EVERY_S = 60.0         # expired rows are deleted at most this often
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
PG_MIGRATION_LOCK = 0x5317_4E1F  # advisory-lock id serialising migrations between instances

T = TypeVar("T")


def async_url(raw: str) -> URL:
    """DATABASE_URL -> SQLAlchemy async URL (aiosqlite / psycopg); ConfigError with a sentence if malformed."""
    hint = "use sqlite:///path/to/file.db or postgresql://user:password@host:5432/dbname"
    try:
        url = make_url(raw)
        _ = url.port  # a non-numeric port raises here
    except (ArgumentError, ValueError) as exc:
        raise ConfigError("DATABASE_URL", f"is not a database URL ({exc.__class__.__name__}); {hint}") from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ConfigError("DATABASE_URL", f"names no SQLite file; {hint}")
        return url.set(drivername="sqlite+aiosqlite")
    if backend in {"postgresql", "postgres"}:
        if not url.host and not url.query.get("host"):
            raise ConfigError("DATABASE_URL", f"names no PostgreSQL host; {hint}")
        if not url.database:
            raise ConfigError("DATABASE_URL", f"names no PostgreSQL database; {hint}")
        return url.set(drivername="postgresql+psycopg")
    raise ConfigError("DATABASE_URL", f"scheme {url.drivername!r} is not supported; {hint}")


def _existing_file(database: str) -> Path | None:
    """The SQLite file's absolute path when it exists (a stat, once, at a reader's start), else None."""
    path = Path(database).expanduser().resolve()
    return path if path.is_file() else None


def _head_revision() -> str | None:
    """The newest migration's id, read from the version files without importing alembic (~10 MB resident)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = path.read_text()
        if m := re.search(r'^revision = "([^"]+)"', source, re.M):
            revisions.add(m.group(1))
        if m := re.search(r'^down_revision = "([^"]+)"', source, re.M):
            parents.add(m.group(1))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _migrate(conn: Connection) -> None:
    """Bring the schema to head on this connection (called through run_sync)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_MIGRATION_LOCK})
    head = _head_revision()
    if head is not None and inspect(conn).has_table("alembic_version"):
        current = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        if list(current) == [head]:
            return  # already at head: a restart does not load alembic at all
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def _is_outage(exc: BaseException) -> bool:
    """True for errors that mean "cannot reach the database", as opposed to a bad statement."""
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)
    return isinstance(exc, OSError | TimeoutError | sa_exc.TimeoutError | sa_exc.DisconnectionError)


class SqlStore:
    """The durable store. Open it with `await SqlStore.open(...)` (or bot.store.open_store)."""

    def __init__(self, engine: AsyncEngine, *, thread_retention_s: int, retry_s: float,
                 clock: Callable[[], float]) -> None:
        self._migration_engine = engine
        # Every operation is one statement: autocommit saves the BEGIN/COMMIT round trips (PostgreSQL).
        self.engine = (engine.execution_options(isolation_level="AUTOCOMMIT")
                       if engine.dialect.name == "postgresql" else engine)
        self._thread_retention_s = thread_retention_s
        self._retry_s = retry_s
        self._clock = clock
        self._fallback = MemoryStore(thread_retention_s=thread_retention_s, clock=clock)
        self._ready = False
        self._next_try = 0.0
        self._recover_lock = asyncio.Lock()
        self._last_prune = 0.0
        self._prune_task: asyncio.Task[None] | None = None
        self._insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
        self._q = _statements(self._insert)
        self.installation_store: Any = None
        self.oauth_state_store: Any = None

    @classmethod
    async def open(cls, database_url: str, *, slack_client_id: str | None = None,
                   thread_retention_s: int = DEFAULT_THREAD_RETENTION_S, retry_s: float = DEFAULT_RETRY_S,
                   clock: Callable[[], float] = time.time) -> SqlStore:
        """Create the engine, migrate, and return the store (degraded if the database is unreachable)."""
        url = async_url(database_url)
        if url.get_backend_name() == "sqlite":
            assert url.database is not None
            # Once at start-up, before any event is served: a blocking mkdir here costs nothing.
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240
            engine = create_async_engine(url, connect_args={"timeout": 15})
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        else:
            # synchronous_commit=off: a PostgreSQL crash may lose the last ~0.6 s of counts and thread context
            # (never corrupts); in exchange no statement waits for a WAL flush, which halves write latency.
            # No pool_pre_ping: a ping per checkout doubles round trips; a dead connection instead raises
            # OperationalError, which invalidates the pool and sends that call to the fallback.
            engine = create_async_engine(url, pool_size=10, max_overflow=20, pool_recycle=1800,
                                         connect_args={"connect_timeout": CONNECT_TIMEOUT_S,
                                                       "options": "-c synchronous_commit=off"})
        store = cls(engine, thread_retention_s=thread_retention_s, retry_s=retry_s, clock=clock)
        if slack_client_id:
            from slack_sdk.oauth.installation_store.sqlalchemy import (
                AsyncSQLAlchemyInstallationStore,
            )
            from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore

            store.installation_store = AsyncSQLAlchemyInstallationStore(client_id=slack_client_id, engine=engine)
            store.oauth_state_store = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine)
        await store._recover(force=True)
        return store

    @classmethod
    async def open_existing(cls, database_url: str) -> SqlStore | None:
        """The store over a database that already holds the schema, for readers such as `smtp-help feedback`:
        nothing is created or migrated (an SQLite file must already exist, its directory is not made); None when
        there is no database or no schema yet. StoreError when the database cannot be read."""
        from urllib.parse import quote

        url = async_url(database_url)
        if url.get_backend_name() == "sqlite":
            assert url.database is not None
            path = _existing_file(url.database)
            if path is None:
                return None
            # mode=rw, not ro: SQLite never creates the file, and the last connection to close removes the -wal
            # and -shm files a read of a WAL database makes (a read-only connection would leave them behind)
            url = url.set(database=f"file:{quote(str(path))}", query={"mode": "rw", "uri": "true"})
            engine = create_async_engine(url, connect_args={"timeout": 15})
        else:
            engine = create_async_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT_S})

        def has_schema(conn: Connection) -> bool:
            tables = inspect(conn)
            return all(tables.has_table(table.name) for table in (t.diagnoses, t.feedback))

        try:
            async with engine.connect() as conn:
                ready = await conn.run_sync(has_schema)
        except SQLAlchemyError as exc:
            await engine.dispose()
            raise StoreError(f"cannot read the database: {exc.__class__.__name__}") from exc
        if not ready:
            await engine.dispose()
            return None
        store = cls(engine, thread_retention_s=DEFAULT_THREAD_RETENTION_S, retry_s=DEFAULT_RETRY_S, clock=time.time)
        store._ready = True
        return store

    # -- availability ------------------------------------------------------------------------------------

    def is_degraded(self) -> bool:
        """True while the database is unreachable."""
        return not self._ready

    def _down(self, exc: BaseException) -> None:
        if self._ready or self._next_try == 0.0:
            log.error("database unreachable (%s: %s): answering without storing diagnoses or feedback; "
                      "retrying every %.0f s", exc.__class__.__name__, str(exc).splitlines()[0] if str(exc) else "",
                      self._retry_s)
        self._ready = False
        self._next_try = self._clock() + self._retry_s

    async def _recover(self, *, force: bool = False) -> bool:
        if self._ready:
            return True
        if not force and self._clock() < self._next_try:
            return False
        async with self._recover_lock:
            if self._ready:
                return True
            try:
                async with self._migration_engine.begin() as conn:
                    await conn.run_sync(_migrate)
            except Exception as exc:
                self._down(exc)
                return False
            if self._next_try:
                log.warning("database reachable again: storing diagnoses and feedback")
            self._ready = True
            return True

    async def _db(self, op: Callable[[], Awaitable[T]], fallback: Callable[[], Awaitable[T]]) -> T:
        """Run `op` against the database, or `fallback` while it is unreachable."""
        if not self._ready and not await self._recover():
            return await fallback()
        try:
            result = await op()
        except Exception as exc:
            if _is_outage(exc):
                self._down(exc)
            else:  # a bug or a schema surprise: visible in the log, but the answer still goes out
                log.exception("store operation failed; using the in-process fallback for this call")
            return await fallback()
        self._maybe_prune()
        return result

    async def _nothing(self) -> None:
        return None

    # -- the Store interface -----------------------------------------------------------------------------

    async def claim_event(self, event_id: str, *, ttl_s: int = DEFAULT_EVENT_TTL_S) -> bool:
        """INSERT with a unique key (an expired claim is taken over); in-process while degraded."""
        async def op() -> bool:
            now = self._clock()
            async with self.engine.begin() as conn:
                row = (await conn.execute(self._q["claim"], {"event_id": event_id, "expires_at": now + ttl_s,
                                                             "now": now})).first()
            return row is not None

        return await self._db(op, lambda: self._fallback.claim_event(event_id, ttl_s=ttl_s))

    async def get_thread(self, team_id: str, channel: str, thread_ts: str) -> ThreadContext | None:
        """The live context of a thread, or None."""
        async def op() -> ThreadContext | None:
            async with self.engine.connect() as conn:
                row = (await conn.execute(self._q["get_thread"], {"team_id": team_id, "channel": channel,
                                                                  "thread_ts": thread_ts, "now": self._clock()})
                       ).mappings().first()
            if row is None:
                return None
            return ThreadContext(team_id=row["team_id"], channel=row["channel"], thread_ts=row["thread_ts"],
                                 text=row["text"], last_causes=tuple(json.loads(row["last_causes"])),
                                 reply_ts=row["reply_ts"], updated_at=row["updated_at"])

        return await self._db(op, lambda: self._fallback.get_thread(team_id, channel, thread_ts))

    async def put_thread(self, ctx: ThreadContext) -> None:
        """Upsert a scrubbed copy that expires after the retention period."""
        text = await scrub_async(ctx.text)

        async def op() -> None:
            now = self._clock()
            values = {"team_id": ctx.team_id, "channel": ctx.channel, "thread_ts": ctx.thread_ts,
                      "text": text, "last_causes": json.dumps(list(ctx.last_causes)),
                      "reply_ts": ctx.reply_ts, "updated_at": ctx.updated_at or now,
                      "expires_at": now + self._thread_retention_s}
            async with self.engine.begin() as conn:
                await conn.execute(self._q["put_thread"], values)

        await self._db(op, lambda: self._fallback.put_thread(ctx))

    async def record_diagnosis(self, *, team_id: str, channel: str, cause_id: str | None, source: str) -> None:
        """Count one answer (dropped while degraded)."""
        check_source(source)

        async def op() -> None:
            async with self.engine.begin() as conn:
                await conn.execute(self._q["diagnosis"], {"team_id": team_id, "channel": channel,
                                                          "cause_id": cause_id, "source": source,
                                                          "created_at": self._clock()})

        await self._db(op, self._nothing)

    async def record_feedback(self, *, team_id: str, channel: str, user: str, cause_id: str,
                              helpful: bool, paste: str) -> None:
        """Store a vote and its scrubbed paste (dropped while degraded; the user id is not kept)."""
        scrubbed = await scrub_async(paste)

        async def op() -> None:
            async with self.engine.begin() as conn:
                await conn.execute(t.feedback.insert().values(
                    team_id=team_id, channel=channel, cause_id=cause_id, helpful=helpful,
                    paste=scrubbed[:MAX_PASTE_CHARS], created_at=self._clock()))

        await self._db(op, self._nothing)

    async def get_channel_auto(self, team_id: str, channel: str) -> bool:
        """Default True (also while degraded, unless set during the outage)."""
        async def op() -> bool:
            q = select(t.channel_settings.c.auto).where(t.channel_settings.c.team_id == team_id,
                                                        t.channel_settings.c.channel == channel)
            async with self.engine.connect() as conn:
                value = (await conn.execute(q)).scalar_one_or_none()
            return True if value is None else bool(value)

        return await self._db(op, lambda: self._fallback.get_channel_auto(team_id, channel))

    async def set_channel_auto(self, team_id: str, channel: str, on: bool) -> None:
        """Upsert the channel's setting."""
        async def op() -> None:
            stmt = self._insert(t.channel_settings).values(team_id=team_id, channel=channel, auto=on)
            stmt = stmt.on_conflict_do_update(
                index_elements=[t.channel_settings.c.team_id, t.channel_settings.c.channel], set_={"auto": on})
            async with self.engine.begin() as conn:
                await conn.execute(stmt)

        await self._db(op, lambda: self._fallback.set_channel_auto(team_id, channel, on))

    async def probe_cache_get(self, key: str) -> dict[str, Any] | None:
        """A live cached report, or None."""
        async def op() -> dict[str, Any] | None:
            q = select(t.probe_cache.c.report).where(t.probe_cache.c.key == key,
                                                     t.probe_cache.c.expires_at > self._clock())
            async with self.engine.connect() as conn:
                raw = (await conn.execute(q)).scalar_one_or_none()
            return None if raw is None else dict(json.loads(raw))

        return await self._db(op, lambda: self._fallback.probe_cache_get(key))

    async def probe_cache_put(self, key: str, report: dict[str, Any], *, ttl_s: int) -> None:
        """Upsert a report that expires in ttl_s."""
        async def op() -> None:
            values = {"key": key, "report": json.dumps(report, default=str), "expires_at": self._clock() + ttl_s}
            stmt = self._insert(t.probe_cache).values(**values)
            stmt = stmt.on_conflict_do_update(index_elements=[t.probe_cache.c.key],
                                              set_={"report": values["report"], "expires_at": values["expires_at"]})
            async with self.engine.begin() as conn:
                await conn.execute(stmt)

        await self._db(op, lambda: self._fallback.probe_cache_put(key, report, ttl_s=ttl_s))

    async def hit_rate_limit(self, key: str, *, limit: int, window_s: int) -> bool:
        """Fixed-window counter shared through the database."""
        async def op() -> bool:
            now = self._clock()
            window = int(now // window_s)
            async with self.engine.begin() as conn:
                count = (await conn.execute(self._q["hit"], {"key": key, "window": window, "count": 1,
                                                             "expires_at": (window + 1) * window_s})).scalar_one()
            return int(count) <= limit

        return await self._db(op, lambda: self._fallback.hit_rate_limit(key, limit=limit, window_s=window_s))

    async def counts(self, team_id: str) -> dict[str, int]:
        """Figures for App Home (zeros while degraded)."""
        async def op() -> dict[str, int]:
            dq = select(func.count().filter(t.diagnoses.c.source != "probe"),
                        func.count().filter(t.diagnoses.c.source == "probe")).where(t.diagnoses.c.team_id == team_id)
            fq = select(func.coalesce(func.sum(case((t.feedback.c.helpful, 1), else_=0)), 0),
                        func.coalesce(func.sum(case((t.feedback.c.helpful, 0), else_=1)), 0)
                        ).where(t.feedback.c.team_id == team_id)
            async with self.engine.connect() as conn:
                diag, probes = (await conn.execute(dq)).one()
                helpful, not_helpful = (await conn.execute(fq)).one()
            return {"diagnoses": int(diag), "probes": int(probes), "helpful": int(helpful),
                    "not_helpful": int(not_helpful)}

        async def zeros() -> dict[str, int]:
            return {"diagnoses": 0, "probes": 0, "helpful": 0, "not_helpful": 0}

        return await self._db(op, zeros)

    async def feedback_report(self, team_id: str | None = None) -> FeedbackReport:
        """Per-cause feedback; StoreError when the database cannot be read."""
        if not self._ready and not await self._recover(force=True):
            raise StoreError("the database is unreachable: no feedback report")
        d, f = t.diagnoses, t.feedback
        sq = select(d.c.cause_id, func.count()).where(d.c.cause_id.is_not(None)).group_by(d.c.cause_id)
        vq = select(f.c.cause_id, f.c.helpful, func.count()).group_by(f.c.cause_id, f.c.helpful)
        pq = select(f.c.cause_id, f.c.paste).where(f.c.helpful.is_(False)).order_by(f.c.id.desc()).limit(
            RECENT_PASTES_PER_CAUSE * 200)
        if team_id is not None:
            sq, vq, pq = sq.where(d.c.team_id == team_id), vq.where(f.c.team_id == team_id), pq.where(
                f.c.team_id == team_id)
        try:
            async with self.engine.connect() as conn:
                suggested = Counter({c: int(n) for c, n in (await conn.execute(sq)).all()})
                helpful: Counter[str] = Counter()
                not_helpful: Counter[str] = Counter()
                for cause, ok, n in (await conn.execute(vq)).all():
                    (helpful if ok else not_helpful)[cause] += int(n)
                pastes: dict[str, list[str]] = defaultdict(list)
                for cause, paste in (await conn.execute(pq)).all():
                    if len(pastes[cause]) < RECENT_PASTES_PER_CAUSE:
                        pastes[cause].append(paste)
        except SQLAlchemyError as exc:
            if _is_outage(exc):
                self._down(exc)
            raise StoreError(f"cannot read feedback from the database: {exc.__class__.__name__}") from exc
        return build_report(team_id, suggested, helpful, not_helpful, pastes)

    # -- housekeeping --------------------------------------------------------------------------------------

    def _maybe_prune(self) -> None:
        now = self._clock()
        if now - self._last_prune < PRUNE_EVERY_S or (self._prune_task and not self._prune_task.done()):
            return
        self._last_prune = now
        self._prune_task = asyncio.get_running_loop().create_task(self.prune())

    async def prune(self) -> None:
        """Delete expired events, threads, probe reports and rate-limit windows."""
        now = self._clock()
        try:
            async with self.engine.begin() as conn:
                for table in (t.events, t.threads, t.probe_cache, t.rate_limits):
                    await conn.execute(delete(table).where(table.c.expires_at <= now))
        except SQLAlchemyError as exc:
            log.debug("prune skipped: %s", exc.__class__.__name__)

    async def close(self) -> None:
        """Wait for housekeeping and dispose of the connection pool."""
        if self._prune_task is not None:
            await asyncio.gather(self._prune_task, return_exceptions=True)
        await self._migration_engine.dispose()


def _statements(insert: Any) -> dict[str, Any]:
    """The hot-path statements, built once with bind parameters (building them per call costs more CPU
    than running them)."""
    claim = insert(t.events).values(event_id=bindparam("event_id"), expires_at=bindparam("expires_at"))
    claim = claim.on_conflict_do_update(index_elements=[t.events.c.event_id],
                                        set_={"expires_at": claim.excluded.expires_at},
                                        where=t.events.c.expires_at <= bindparam("now")).returning(t.events.c.event_id)
    th = t.threads.c
    get_thread = select(t.threads).where(th.team_id == bindparam("team_id"), th.channel == bindparam("channel"),
                                         th.thread_ts == bindparam("thread_ts"), th.expires_at > bindparam("now"))
    put = insert(t.threads)
    put = put.on_conflict_do_update(
        index_elements=[th.team_id, th.channel, th.thread_ts],
        set_={k: put.excluded[k] for k in ("text", "last_causes", "reply_ts", "updated_at", "expires_at")})
    hit = insert(t.rate_limits)
    hit = hit.on_conflict_do_update(index_elements=[t.rate_limits.c.key, t.rate_limits.c.window],
                                    set_={"count": t.rate_limits.c.count + 1}).returning(t.rate_limits.c.count)
    return {"claim": claim, "get_thread": get_thread, "put_thread": put, "hit": hit,
            "diagnosis": t.diagnoses.insert()}


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """WAL + busy timeout: several processes may share the file (web + worker)."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=15000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()
