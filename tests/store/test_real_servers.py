"""Issue 5's scenarios against real PostgreSQL and Redis started on loopback (tests/services.py)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from bot.errors import ConfigError, StoreError
from bot.settings import Settings
from bot.store import ThreadContext, open_store
from tests.services import PostgresServer, postgres_missing, start_postgres

SECRET = "hunter2"
PASTE = f"smtp.gmail.com:587 535 5.7.8 Username and Password not accepted\nMAIL_PASSWORD={SECRET}\n"


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test's own, so stopping it disturbs no other test."""
    reason = postgres_missing()
    if reason:
        pytest.skip(reason)
    server = start_postgres()
    yield server
    server.destroy()


@pytest.mark.integration
@pytest.mark.parametrize("with_redis", [True, False], ids=["redis", "database-only"])
async def test_two_instances_claim_a_retried_event_exactly_once(pg_url: str, redis_url: str,
                                                                with_redis: bool) -> None:
    settings = Settings(database_url=pg_url, redis_url=redis_url if with_redis else None)
    a, b = await open_store(settings), await open_store(settings)
    try:
        ids = [f"Ev{i:04d}" for i in range(200)]
        results = await asyncio.gather(*(s.claim_event(i) for i in ids for s in (a, b, a, b)))
        per_id = [sum(results[k * 4:(k + 1) * 4]) for k in range(len(ids))]
        assert per_id == [1] * len(ids)
    finally:
        await a.close()
        await b.close()


@pytest.mark.integration
async def test_restart_mid_thread_keeps_its_context(pg_url: str, redis_url: str) -> None:
    settings = Settings(database_url=pg_url, redis_url=redis_url)
    first = await open_store(settings)
    await first.put_thread(ThreadContext(team_id="T1", channel="C1", thread_ts="1.1", text="535 5.7.8",
                                         last_causes=("auth.app_password",), reply_ts="1.2"))
    await first.close()
    second = await open_store(settings)
    try:
        got = await second.get_thread("T1", "C1", "1.1")
        assert got is not None
        assert got.last_causes == ("auth.app_password",)
        assert got.reply_ts == "1.2"
    finally:
        await second.close()


@pytest.mark.integration
async def test_database_outage_degrades_then_recovers_with_data_intact(
        own_postgres: PostgresServer, redis_url: str, caplog: pytest.LogCaptureFixture) -> None:
    store = await open_store(Settings(database_url=own_postgres.url, redis_url=redis_url), retry_s=0.2)
    try:
        await store.record_diagnosis(team_id="T1", channel="C1", cause_id="a.one", source="message")
        await store.record_feedback(team_id="T1", channel="C1", user="U1", cause_id="a.one", helpful=False,
                                    paste="before outage")
        await store.put_thread(ThreadContext(team_id="T1", channel="C1", thread_ts="1.1", text="before",
                                             last_causes=("a.one",)))
        own_postgres.stop()
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="bot.store"):
            # the answer path: nothing raises
            assert await store.claim_event("EvOutage")
            assert not await store.claim_event("EvOutage")  # Redis still de-duplicates
            for _ in range(5):
                await store.record_diagnosis(team_id="T1", channel="C1", cause_id="a.one", source="message")
                await store.record_feedback(team_id="T1", channel="C1", user="U1", cause_id="a.one",
                                            helpful=False, paste="during outage")
                await store.get_thread("T1", "C1", "1.1")
                assert await store.get_channel_auto("T1", "C1")
                assert await store.hit_rate_limit("u", limit=100, window_s=60)
                await asyncio.sleep(0.1)
            await store.put_thread(ThreadContext(team_id="T1", channel="C2", thread_ts="2.2", text="during"))
            assert (await store.get_thread("T1", "C2", "2.2")) is not None  # in-process fallback
            assert store.is_degraded()
            assert await store.counts("T1") == {"diagnoses": 0, "probes": 0, "helpful": 0, "not_helpful": 0}
            with pytest.raises(StoreError):
                await store.feedback_report("T1")
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1, [r.getMessage() for r in errors]
        assert "database unreachable" in errors[0].getMessage()
        assert "feedback" in errors[0].getMessage()

        own_postgres.start()
        await asyncio.sleep(0.3)
        got = await store.get_thread("T1", "C1", "1.1")
        assert not store.is_degraded()
        assert got is not None
        assert got.text == "before"
        report = await store.feedback_report("T1")
        (cause,) = report.causes
        assert (cause.suggested, cause.not_helpful, cause.pastes) == (1, 1, ("before outage",))
        await store.record_feedback(team_id="T1", channel="C1", user="U1", cause_id="a.one", helpful=True,
                                    paste="after")
        assert (await store.counts("T1"))["helpful"] == 1
    finally:
        await store.close()


@pytest.mark.integration
async def test_store_opens_degraded_when_database_is_down_at_start(
        own_postgres: PostgresServer, caplog: pytest.LogCaptureFixture) -> None:
    own_postgres.stop()
    with caplog.at_level(logging.WARNING, logger="bot.store"):
        store = await open_store(Settings(database_url=own_postgres.url), retry_s=0.2)
    try:
        assert store.is_degraded()
        assert await store.claim_event("Ev1")
        assert not await store.claim_event("Ev1")
        assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1
        own_postgres.start()
        await asyncio.sleep(0.3)
        await store.record_diagnosis(team_id="T", channel="C", cause_id="x", source="command")
        assert not store.is_degraded()  # migrated on recovery
        assert (await store.counts("T"))["diagnoses"] == 1
    finally:
        await store.close()


@pytest.mark.parametrize("url", [
    "postgresql://user@host:notaport/db",
    "postgresql:///nodb-and-no-host",
    "postgresql://127.0.0.1:5432",
    "sqlite://",
    "mysql://root@127.0.0.1/x",
    "not a url at all",
])
async def test_malformed_database_url_is_a_clear_startup_error(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        await open_store(Settings(database_url=url))
    assert info.value.name == "DATABASE_URL"
    assert "postgresql://user:password@host:5432/dbname" in str(info.value)


def test_malformed_database_url_from_environment_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        Settings.from_env({"DATABASE_URL": "mongodb://x"})


@pytest.mark.integration
async def test_thread_context_expires_after_retention_on_postgresql(pg_url: str) -> None:
    clock = FakeClock()
    store = await open_store(Settings(database_url=pg_url), thread_retention_s=3600, clock=clock)
    try:
        await store.put_thread(ThreadContext(team_id="T", channel="C", thread_ts="1.1", text="x"))
        clock.now += 3599
        assert await store.get_thread("T", "C", "1.1") is not None
        clock.now += 2
        assert await store.get_thread("T", "C", "1.1") is None
        await store.probe_cache_put("k", {"a": 1}, ttl_s=60)
        clock.now += 61
        assert await store.probe_cache_get("k") is None
        await store.prune()  # expired rows are deleted, not just hidden
        with psycopg.connect(pg_url.replace("postgresql://", "postgresql://", 1)) as conn:
            assert conn.execute("select count(*) from threads").fetchone() == (0,)
            assert conn.execute("select count(*) from probe_cache").fetchone() == (0,)
    finally:
        await store.close()


@pytest.mark.integration
async def test_probe_cache_in_redis_expires(pg_url: str, redis_url: str) -> None:
    store = await open_store(Settings(database_url=pg_url, redis_url=redis_url))
    try:
        await store.probe_cache_put("probe:x", {"ok": True}, ttl_s=1)
        assert await store.probe_cache_get("probe:x") == {"ok": True}
        await asyncio.sleep(1.2)
        assert await store.probe_cache_get("probe:x") is None
    finally:
        await store.close()


async def _store_secrets(database_url: str) -> None:
    store = await open_store(Settings(database_url=database_url))
    try:
        await store.record_diagnosis(team_id="T", channel="C", cause_id="auth.app_password", source="message")
        await store.record_feedback(team_id="T", channel="C", user="U", cause_id="auth.app_password",
                                    helpful=False, paste=PASTE)
        await store.put_thread(ThreadContext(team_id="T", channel="C", thread_ts="1.1", text=PASTE))
        report = await store.feedback_report()
        assert SECRET not in report.causes[0].pastes[0]
        assert "535 5.7.8" in report.causes[0].pastes[0]
    finally:
        await store.close()


@pytest.mark.integration
async def test_no_secret_reaches_postgresql_rows(pg_url: str) -> None:
    await _store_secrets(pg_url)
    with psycopg.connect(pg_url) as conn:
        dump = "\n".join(str(row) for table in ("feedback", "threads", "diagnoses")
                         for row in conn.execute(f"select * from {table}").fetchall())  # noqa: S608
    assert "535 5.7.8" in dump
    assert SECRET not in dump


async def test_no_secret_reaches_the_sqlite_file(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    await _store_secrets(f"sqlite:///{db}")
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(FULL)")
        dump = "\n".join(str(row) for table in ("feedback", "threads")
                         for row in conn.execute(f"select * from {table}").fetchall())  # noqa: S608
    assert "535 5.7.8" in dump
    assert SECRET not in dump
    assert SECRET.encode() not in db.read_bytes()


async def test_sqlite_default_works_with_zero_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = await open_store(Settings.from_env({}))
    try:
        assert await store.claim_event("Ev1")
        await store.record_diagnosis(team_id="T", channel="C", cause_id="x", source="command")
        assert (await store.counts("T"))["diagnoses"] == 1
    finally:
        await store.close()
    assert (tmp_path / "smtp-help.db").exists()
