"""The same behaviour from every backend: memory, SQLite, PostgreSQL, PostgreSQL + Redis."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.store import MemoryStore, Store, ThreadContext, open_store

BACKENDS = [
    "memory",
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.integration),
    pytest.param("postgresql+redis", marks=pytest.mark.integration),
]


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """An open store of each backend."""
    kind = request.param
    if kind == "memory":
        s: Store = MemoryStore()
    elif kind == "sqlite":
        s = await open_store(Settings(database_url=f"sqlite:///{tmp_path}/state.db"))
    else:
        pg_url = request.getfixturevalue("pg_url")
        redis_url = request.getfixturevalue("redis_url") if kind.endswith("redis") else None
        s = await open_store(Settings(database_url=pg_url, redis_url=redis_url))
    assert isinstance(s, Store)
    assert not s.is_degraded()
    yield s
    await s.close()


async def test_claim_event_is_true_exactly_once(store: Store) -> None:
    assert await store.claim_event("Ev0001")
    assert not await store.claim_event("Ev0001")
    assert await store.claim_event("Ev0002")


async def test_thread_context_round_trips_and_is_replaced(store: Store) -> None:
    assert await store.get_thread("T1", "C1", "111.222") is None
    ctx = ThreadContext(team_id="T1", channel="C1", thread_ts="111.222", text="535 5.7.8",
                        last_causes=("auth.bad_credentials", "auth.app_password"), reply_ts="111.333")
    await store.put_thread(ctx)
    got = await store.get_thread("T1", "C1", "111.222")
    assert got is not None
    assert (got.text, got.last_causes, got.reply_ts) == (ctx.text, ctx.last_causes, ctx.reply_ts)
    assert got.updated_at > 0
    await store.put_thread(ThreadContext(team_id="T1", channel="C1", thread_ts="111.222", text="535 5.7.8\n587",
                                         last_causes=("tls.mismatch",), reply_ts="111.333"))
    got = await store.get_thread("T1", "C1", "111.222")
    assert got is not None
    assert got.last_causes == ("tls.mismatch",)
    assert got.text.endswith("587")


async def test_feedback_report_counts_per_cause_and_keeps_unhelpful_pastes(store: Store) -> None:
    for cause in ("a.one", "a.one", "b.two", None):
        await store.record_diagnosis(team_id="T1", channel="C1", cause_id=cause, source="message")
    await store.record_diagnosis(team_id="T1", channel="C1", cause_id="a.one", source="probe")
    await store.record_diagnosis(team_id="T2", channel="C9", cause_id="b.two", source="command")
    await store.record_feedback(team_id="T1", channel="C1", user="U1", cause_id="a.one", helpful=True, paste="x")
    await store.record_feedback(team_id="T1", channel="C1", user="U2", cause_id="b.two", helpful=False,
                                paste="first paste")
    await store.record_feedback(team_id="T1", channel="C1", user="U3", cause_id="b.two", helpful=False,
                                paste="second paste")
    report = await store.feedback_report("T1")
    by_id = {c.cause_id: c for c in report.causes}
    assert (by_id["a.one"].suggested, by_id["a.one"].helpful, by_id["a.one"].not_helpful) == (3, 1, 0)
    assert (by_id["b.two"].suggested, by_id["b.two"].not_helpful) == (1, 2)
    assert by_id["b.two"].pastes == ("second paste", "first paste")
    assert report.causes[0].cause_id == "b.two"  # most "Didn't help" first
    assert (await store.feedback_report()).causes[0].suggested == 2  # all teams
    assert await store.counts("T1") == {"diagnoses": 4, "probes": 1, "helpful": 1, "not_helpful": 2}
    json.dumps(report.to_dict())


async def test_record_diagnosis_rejects_unknown_source(store: Store) -> None:
    with pytest.raises(ValueError, match="source"):
        await store.record_diagnosis(team_id="T", channel="C", cause_id=None, source="carrier-pigeon")


async def test_channel_auto_defaults_on_and_can_be_switched(store: Store) -> None:
    assert await store.get_channel_auto("T1", "C1")
    await store.set_channel_auto("T1", "C1", False)
    assert not await store.get_channel_auto("T1", "C1")
    assert await store.get_channel_auto("T1", "C2")
    await store.set_channel_auto("T1", "C1", True)
    assert await store.get_channel_auto("T1", "C1")


async def test_probe_cache_round_trips(store: Store) -> None:
    assert await store.probe_cache_get("probe:smtp.example.com") is None
    await store.probe_cache_put("probe:smtp.example.com", {"ports": [{"port": 587, "status": "ok"}]}, ttl_s=60)
    assert await store.probe_cache_get("probe:smtp.example.com") == {"ports": [{"port": 587, "status": "ok"}]}


async def test_rate_limit_allows_up_to_limit(store: Store) -> None:
    hits = [await store.hit_rate_limit("probe:U1", limit=3, window_s=3600) for _ in range(5)]
    assert hits == [True, True, True, False, False]
    assert await store.hit_rate_limit("probe:U2", limit=3, window_s=3600)
