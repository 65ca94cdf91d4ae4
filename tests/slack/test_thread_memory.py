"""Issue 12 §4: triage threads remember. Multi-reply sequences through the real bolt app (signed HTTP requests)
and a real store (memory and SQLite): repeated "still failing" walks down the ranking without going back, a
"Didn't help" click counts as tried, and a later reply reuses the thread's live probe while it is fresh."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.render.slack.actions import ACTION_FIXED, ACTION_NOT_FIXED, ACTION_PROBE, decode_value
from bot.settings import Settings
from bot.slack.services import Services
from bot.slack.threads import PROBE_FRESH_S, ThreadState
from bot.store import MemoryStore, open_store
from tests.slack.conftest import FakeProbe, Harness, make_settings, serve
from tests.slack.engine import fake_diagnose, fake_fix_text
from tests.slack.fake_slack import BOT_ID, FakeSlack
from tests.slack.test_http_app import channel_message, click, thread_reply
from tests.tinykb import tiny_kb

ROOT = "1482960137.003543"
CHANNEL = "C123ABC456"  # the channel of the documented message.channels payload
# four causes in the stand-in engine: TLS mismatch 0.85, wrong password 0.8, network 0.4, app password 0.3
PASTE = ("smtp.gmail.com:587: 535 5.7.8 after STARTTLS; earlier the smtp connection timed out\n"
         "Traceback: smtplib.SMTPAuthenticationError")


@pytest.fixture(params=["memory", "sqlite"])
async def h(request: pytest.FixtureRequest, fake: FakeSlack, tmp_path: Path) -> AsyncIterator[Harness]:
    store = MemoryStore() if request.param == "memory" else await open_store(
        Settings(database_url=f"sqlite:///{tmp_path / 'threads.db'}"))
    async with aiohttp.ClientSession() as http:
        services = Services(settings=make_settings(fake), kb=tiny_kb(), store=store, probe=FakeProbe(),
                            diagnose=fake_diagnose, fix_text=fake_fix_text, http=http)
        try:
            async with serve(fake, services, http) as harness:
                yield harness
        finally:
            await store.close()


def _shown(post: Any) -> str | None:
    """The cause an answer shows (its Fixed it button carries it); None for a message without one."""
    value = post.action_values().get(ACTION_FIXED)
    return decode_value(value).cause if value else None


async def _reply(h: Harness, text: str, n: int) -> Any:
    before = len(h.fake.posts)
    await h.event(thread_reply(text, thread_ts=ROOT, ts=f"1482960137.{n:06d}", event_id=f"EvR{n}"))
    await h.settle()
    assert len(h.fake.posts) == before + 1, f"no answer to {text!r}"
    return h.fake.posts[-1]


async def test_still_failing_walks_every_cause_once_then_asks_for_the_current_error(h: Harness) -> None:
    await h.event(channel_message(PASTE, ts=ROOT, event_id="Ev1"))
    await h.settle()
    shown = [_shown(h.fake.posts[-1])]
    for n, text in enumerate(["still failing", "still not working", "no luck, same error", "still failing"], 1):
        shown.append(_shown(await _reply(h, text, n)))
    assert shown[:4] == ["tls_mismatch", "bad_credentials", "network_blocked", "app_password_required"]
    assert shown[4] is None  # all four tried: no fifth answer, a question instead
    last = h.fake.posts[-1]
    assert "Every cause that fits this thread has been tried" in last.text
    assert "paste the error the app shows *now*".lower() in last.text.lower()
    for title in ("TLS", "password"):
        assert title.lower() in last.text.lower()
    # the walk is remembered by the store, in order
    ctx = await h.services.store.get_thread("T123ABC456", CHANNEL, ROOT)
    assert ctx is not None
    from bot.slack.answers import load_state

    state = await load_state(h.services, ctx)
    assert state.tried == ("tls_mismatch", "bad_credentials", "network_blocked", "app_password_required")


async def test_a_new_error_after_a_tried_fix_does_not_go_back_to_it(h: Harness) -> None:
    await h.event(channel_message(PASTE, ts=ROOT, event_id="Ev1"))
    await h.settle()
    assert _shown(await _reply(h, "still failing", 1)) == "bad_credentials"
    # the same kind of error again, with a new detail: TLS mismatch (tried) would rank first again
    update = await _reply(h, "now with port 465 I get: ssl wrong version number 535", 2)
    assert _shown(update) == "bad_credentials"
    assert "What changed" in update.text  # posted for the new detail, still not back to TLS mismatch


async def test_didnt_help_counts_as_tried_for_the_thread(h: Harness) -> None:
    await h.event(channel_message(PASTE, ts=ROOT, event_id="Ev1"))
    await h.settle()
    value = h.fake.posts[-1].action_values()[ACTION_NOT_FIXED]
    body = click(h, ACTION_NOT_FIXED, value, ephemeral=False)
    body["channel"]["id"] = body["container"]["channel_id"] = CHANNEL
    body["message"] = {"type": "message", "ts": "1700000000.000001", "thread_ts": ROOT, "bot_id": BOT_ID}
    await h.interactive(body)
    await h.settle()
    # TLS mismatch was marked not helpful: a new error that ranks it first again shows the next cause instead
    update = await _reply(h, "now with port 465 I get: ssl wrong version number 535", 1)
    assert _shown(update) == "bad_credentials"
    assert ("the fix for TLS mode does not match the port was tried already, so the next most likely cause is "
            "Wrong username or password") in update.text
    assert _shown(await _reply(h, "still failing", 2)) == "network_blocked"


async def test_a_later_reply_reuses_the_thread_probe_until_it_is_stale(h: Harness) -> None:
    await h.event(channel_message(PASTE, ts=ROOT, event_id="Ev1"))
    await h.settle()
    value = h.fake.posts[-1].action_values()[ACTION_PROBE]
    body = click(h, ACTION_PROBE, value, ephemeral=False)
    body["channel"]["id"] = body["container"]["channel_id"] = CHANNEL
    body["message"] = {"type": "message", "ts": "1700000000.000001", "thread_ts": ROOT, "bot_id": BOT_ID}
    await h.interactive(body)
    await h.settle()
    probe = h.services.probe
    assert isinstance(probe, FakeProbe)
    assert len(probe.targets) == 1
    finding = "port 587: AUTH answered 535 5.7.8 rejected"
    assert finding in h.fake.posts[-1].text
    update = await _reply(h, "still failing", 1)
    assert finding in update.text  # the probe's evidence is still part of the answer, not forgotten
    assert len(probe.targets) == 1  # reused, not run again
    start = h.services.clock()
    h.services.clock = lambda: start + PROBE_FRESH_S + 60
    stale = await _reply(h, "still failing", 2)
    assert finding not in stale.text
    assert "too old to trust now" in stale.text


def test_thread_state_reads_back_and_ignores_junk() -> None:
    state = ThreadState(tried=("a", "b"), probe={"target": "x"}, probe_at=5.0).with_tried("b", "c")
    assert ThreadState.from_doc(json.loads(json.dumps(state.to_doc()))) == state
    assert state.tried == ("a", "b", "c")
    for junk in (None, {}, {"v": 2}, {"v": 1, "tried": "abc", "probe": [1], "probe_at": "x"}):
        assert ThreadState.from_doc(junk).tried == ()  # type: ignore[arg-type]
    assert state.probe_fresh(5.0 + PROBE_FRESH_S - 1)
    assert not state.probe_fresh(5.0 + PROBE_FRESH_S + 1)


@pytest.fixture(params=["memory", "sqlite"])
async def real(request: pytest.FixtureRequest, fake: FakeSlack, tmp_path: Path) -> AsyncIterator[Harness]:
    """The app with the real knowledge base, engine and fix renderer."""
    from tests.slack.conftest import real_engine

    kb, diagnose, fix_text = real_engine()
    store = MemoryStore() if request.param == "memory" else await open_store(
        Settings(database_url=f"sqlite:///{tmp_path / 'threads.db'}"))
    async with aiohttp.ClientSession() as http:
        services = Services(settings=make_settings(fake), kb=kb, store=store, probe=FakeProbe(),
                            diagnose=diagnose, fix_text=fix_text, http=http)
        try:
            async with serve(fake, services, http) as harness:
                yield harness
        finally:
            await store.close()


async def test_the_real_engine_walks_an_office365_ticket_without_going_back(real: Harness) -> None:
    ticket = ("Our app stopped sending since Monday.\nError: Invalid login: 535 5.7.3 Authentication unsuccessful "
              "[AM0PR02CA0001.eurprd02.prod.outlook.com]\nhost: smtp.office365.com, port 587, secure: false")
    await real.event(channel_message(ticket, ts=ROOT, event_id="Ev1"))
    await real.settle(10)
    shown = [_shown(real.fake.posts[-1])]
    ranking = [c.id for c in real.services.diagnose(ticket, kb=real.services.kb).causes]
    assert len(ranking) >= 3
    for n in range(1, len(ranking) + 1):
        before = len(real.fake.posts)
        await real.event(thread_reply("reset the password as you said, still failing", thread_ts=ROOT,
                                      ts=f"1482960137.{n:06d}", event_id=f"EvR{n}"))
        await real.settle(10)
        assert len(real.fake.posts) == before + 1
        shown.append(_shown(real.fake.posts[-1]))
    assert shown[:-1] == ranking  # each cause once, best first, never back to one already tried
    assert shown[-1] is None
    assert "Every cause that fits this thread has been tried" in real.fake.posts[-1].text
