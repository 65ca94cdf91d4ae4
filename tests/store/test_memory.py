"""MemoryStore: the in-process Store used by unit tests and the console."""

from __future__ import annotations

import bot.store
from bot.store import MemoryStore, Store, ThreadContext


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_public_names_are_pinned() -> None:
    assert set(bot.store.__all__) >= {"open_store", "Store", "MemoryStore", "ThreadContext", "FeedbackReport"}


def test_memory_store_satisfies_the_protocol() -> None:
    assert isinstance(MemoryStore(), Store)


async def test_claim_event_is_true_once_until_ttl_passes() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    assert await store.claim_event("Ev1", ttl_s=60)
    assert not await store.claim_event("Ev1", ttl_s=60)
    clock.now += 61
    assert await store.claim_event("Ev1", ttl_s=60)


async def test_thread_context_expires_after_retention() -> None:
    clock = FakeClock()
    store = MemoryStore(thread_retention_s=100, clock=clock)
    await store.put_thread(ThreadContext(team_id="T", channel="C", thread_ts="1.2", text="535", last_causes=("a",)))
    got = await store.get_thread("T", "C", "1.2")
    assert got is not None
    assert got.last_causes == ("a",)
    assert got.updated_at == clock.now
    clock.now += 101
    assert await store.get_thread("T", "C", "1.2") is None


async def test_feedback_paste_is_scrubbed_and_reported() -> None:
    store = MemoryStore()
    await store.record_diagnosis(team_id="T", channel="C", cause_id="auth.app_password", source="message")
    await store.record_feedback(team_id="T", channel="C", user="U", cause_id="auth.app_password", helpful=False,
                                paste="535 5.7.8 MAIL_PASSWORD=hunter2")
    report = await store.feedback_report("T")
    (cause,) = report.causes
    assert (cause.suggested, cause.helpful, cause.not_helpful) == (1, 0, 1)
    assert "hunter2" not in cause.pastes[0]
    assert "535 5.7.8" in cause.pastes[0]
    assert await store.counts("T") == {"diagnoses": 1, "probes": 0, "helpful": 0, "not_helpful": 1}


async def test_rate_limit_allows_limit_hits_per_window() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    assert [await store.hit_rate_limit("u", limit=2, window_s=10) for _ in range(3)] == [True, True, False]
    clock.now += 10
    assert await store.hit_rate_limit("u", limit=2, window_s=10)


async def test_channel_auto_defaults_on() -> None:
    store = MemoryStore()
    assert await store.get_channel_auto("T", "C")
    await store.set_channel_auto("T", "C", False)
    assert not await store.get_channel_auto("T", "C")
