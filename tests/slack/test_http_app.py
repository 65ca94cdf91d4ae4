"""End to end: signed HTTP requests with Slack's documented payloads to the real bolt app on loopback.

Each test asserts what the app posted to the fake Web API (and where: thread, ephemeral or public) and what it
did not post.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from typing import Any

import pytest

from bot.render.slack.actions import (
    ACTION_AUTH_CHECK,
    ACTION_FIXED,
    ACTION_NOT_FIXED,
    ACTION_OTHER,
    ACTION_PROBE,
    ACTION_SHARE,
    ACTION_SHOW_FIX,
)
from bot.render.slack.home import MODAL_CALLBACK, MODAL_INPUT_ACTION, MODAL_INPUT_BLOCK
from tests.slack.conftest import Harness, payload
from tests.slack.fake_slack import BOT_ID, BOT_USER_ID

SMTP_PASTE = (
    "smtplib.SMTPAuthenticationError: (535, b'5.7.8 Username and Password not accepted') smtp.gmail.com:587"
)


def channel_message(
    text: str, *, ts: str = "1355517523.000005", event_id: str = "Ev0001", **event: Any
) -> dict[str, Any]:
    body = payload("event_message_channel.json")
    body["event"].update({"text": text, "ts": ts, "event_ts": ts, **event})
    body["event_id"] = event_id
    return body


def thread_reply(
    text: str, *, thread_ts: str, ts: str, event_id: str, user: str = "U061F7AUR"
) -> dict[str, Any]:
    body = payload("event_message_thread_reply.json")
    body["event"].update({"text": text, "thread_ts": thread_ts, "ts": ts, "event_ts": ts, "user": user})
    body["event_id"] = event_id
    return body


# -------------------------------------------------------------------------------------- transport & security


async def test_url_verification_echoes_the_challenge(harness: Harness) -> None:
    status, text = await harness.event(payload("url_verification.json"))
    assert status == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in text


async def test_unsigned_url_verification_is_refused(harness: Harness) -> None:
    status, _ = await harness.event(payload("url_verification.json"), sign=False)
    assert status == 401


async def test_bad_signature_gets_401_and_nothing_is_posted(harness: Harness) -> None:
    status, _ = await harness.event(
        channel_message(SMTP_PASTE), headers={"X-Slack-Signature": "v0=" + "0" * 64}
    )
    await harness.settle()
    assert status == 401
    assert harness.fake.posts == []


async def test_stale_timestamp_gets_401(harness: Harness) -> None:
    body = json.dumps(channel_message(SMTP_PASTE))
    status, _ = await harness.post(
        body,
        content_type="application/json",
        headers=harness.sign(body, ts=int(time.time()) - 301),
        sign=False,
    )
    assert status == 401


async def test_malformed_timestamp_gets_400_without_a_traceback(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    body = json.dumps(channel_message(SMTP_PASTE))
    headers = {**harness.sign(body), "X-Slack-Request-Timestamp": "abc"}
    with caplog.at_level(logging.ERROR):
        status, _ = await harness.post(body, content_type="application/json", headers=headers, sign=False)
    assert status == 400
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_ssl_check_is_answered(harness: Harness) -> None:
    status, _ = await harness.post(
        "ssl_check=1&token=x", content_type="application/x-www-form-urlencoded", sign=False
    )
    assert status == 200


async def test_health_and_readiness(harness: Harness) -> None:
    async with harness.http.get(harness.base + "/healthz") as resp:
        assert resp.status == 200
    harness.state.draining = True
    async with harness.http.get(harness.base + "/readyz") as resp:
        assert resp.status == 503


# ------------------------------------------------------------------------------------------------ /smtp-help


async def test_command_paste_gets_a_private_diagnosis_with_buttons(harness: Harness) -> None:
    started = time.monotonic()
    status, _ = await harness.command(SMTP_PASTE)
    assert status == 200
    assert time.monotonic() - started < 1.0
    await harness.settle()
    [answer] = harness.fake.posts
    assert answer.method == "response_url"
    assert answer.ephemeral
    assert "Wrong username or password" in answer.text
    assert "80%" in answer.text
    assert "Fix step one for `bad_credentials`" in answer.text  # a setting-like name is shown as code
    assert set(answer.action_values()) == {
        ACTION_PROBE,
        ACTION_AUTH_CHECK,
        ACTION_SHARE,
        ACTION_OTHER,
        ACTION_FIXED,
        ACTION_NOT_FIXED,
    }
    assert SMTP_PASTE not in json.dumps(answer.action_values())  # buttons carry a reference, not the paste


async def test_command_help_answers_in_the_ack(harness: Harness) -> None:
    status, body = await harness.command("help")
    await harness.settle()
    assert status == 200
    assert "probe" in body
    assert harness.fake.posts == []


async def test_command_without_text_opens_the_paste_modal(harness: Harness) -> None:
    await harness.command("")
    [call] = await harness.fake.wait_for(1, "views.open")
    assert call.args["trigger_id"] == "13345224609.7384"
    assert call.args["view"]["callback_id"] == MODAL_CALLBACK


async def test_command_provider_and_unknown_provider(harness: Harness) -> None:
    _, body = await harness.command("provider gmail")
    assert "smtp.gmail.com" in body
    _, body = await harness.command("provider nosuch")
    assert "nosuch" in body
    assert "gmail" in body


async def test_command_probe_shows_progress_then_replaces_it(harness: Harness) -> None:
    _, body = await harness.command("probe smtp.gmail.com:587")
    assert "probing smtp.gmail.com:587" in body
    await harness.settle()
    [result] = harness.fake.posts
    assert result.args["replace_original"] is True
    assert result.ephemeral
    assert "TLSv1.3" in result.text
    assert harness.services.probe.targets == ["smtp.gmail.com:587"]


async def test_channel_off_silences_auto_replies(harness: Harness) -> None:
    await harness.command("channel off", channel_id="C123ABC456")
    await harness.settle()
    await harness.event(channel_message(SMTP_PASTE))
    await harness.settle()
    assert harness.fake.posts == []


# -------------------------------------------------------------------------------------------- channel pastes


async def test_smtp_paste_in_channel_is_answered_in_its_thread(harness: Harness) -> None:
    status, _ = await harness.event(channel_message(SMTP_PASTE))
    await harness.settle()
    assert status == 200
    [reply] = harness.fake.posts
    assert reply.method == "chat.postMessage"
    assert reply.public
    assert reply.channel == "C123ABC456"
    assert reply.thread_ts == "1355517523.000005"
    assert "Wrong username or password" in reply.text


async def test_chatter_in_channel_gets_no_reply(harness: Harness) -> None:
    await harness.event(channel_message("Live long and prospect."))
    await harness.settle()
    assert harness.fake.posts == []


async def test_low_confidence_paste_gets_no_unasked_reply(harness: Harness) -> None:
    await harness.event(channel_message("smtp.example.com connection timed out"))
    await harness.settle()
    assert harness.fake.posts == []


async def test_retried_delivery_is_answered_once(harness: Harness) -> None:
    body = channel_message(SMTP_PASTE)
    await harness.event(body)
    await harness.event(body, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    await harness.event(body, headers={"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_error"})
    await harness.settle()
    assert len(harness.fake.posts) == 1


@pytest.mark.parametrize("name", ["event_message_bot.json", "nondoc_event_message_bot_modern.json"])
async def test_other_bots_are_ignored(harness: Harness, name: str) -> None:
    body = payload(name)
    body["event"].update({"text": SMTP_PASTE, "channel": "C111"})
    status, _ = await harness.event(body)
    await harness.settle()
    assert status == 200
    assert harness.fake.posts == []


async def test_own_messages_are_ignored(harness: Harness) -> None:
    await harness.event(channel_message(SMTP_PASTE, user=BOT_USER_ID, bot_id=BOT_ID))
    await harness.settle()
    assert harness.fake.posts == []


@pytest.mark.parametrize("settings_kw", [{"triage_bot_ids": ("B999",)}])
async def test_allow_listed_helpdesk_bot_ticket_is_answered(harness: Harness) -> None:
    body = payload("nondoc_event_message_bot_modern.json")
    body["event"].update({"text": "", "attachments": [{"title": "Ticket #42", "text": SMTP_PASTE}]})
    await harness.event(body)
    await harness.settle()
    [reply] = harness.fake.posts
    assert reply.thread_ts == "1610261539.000900"
    assert reply.channel == "C111"


@pytest.mark.parametrize("name", ["event_message_changed.json", "event_message_replied.json"])
async def test_housekeeping_subtypes_get_200_and_no_reply(harness: Harness, name: str) -> None:
    body = payload(name)
    body["event"].setdefault("message", {})["text"] = SMTP_PASTE
    status, _ = await harness.event(body)
    await harness.settle()
    assert status == 200
    assert harness.fake.posts == []


async def test_unsubscribed_event_type_gets_200_not_404(harness: Harness) -> None:
    body = payload("event_message_channel.json")
    body["event"] = {"type": "reaction_added", "user": "U1", "reaction": "eyes", "event_ts": "1.2"}
    status, _ = await harness.event(body)
    assert status == 200


async def test_paste_cannot_ping_the_channel(harness: Harness) -> None:
    await harness.event(channel_message("<!channel> " + SMTP_PASTE + " <@U999> <https://evil|click>"))
    await harness.settle()
    [reply] = harness.fake.posts
    dumped = json.dumps(reply.args)
    assert "<!channel>" not in dumped
    assert "<@U999>" not in dumped
    assert "<https://evil" not in dumped


async def test_secret_in_channel_warns_the_poster_privately(harness: Harness) -> None:
    await harness.event(channel_message(SMTP_PASTE + "\npassword=hunter2hunter2"))
    await harness.settle()
    [warning] = harness.fake.of("chat.postEphemeral")
    assert warning.args["user"] == "U123ABC456"
    assert warning.channel == "C123ABC456"
    assert "rotate" in warning.text.lower()
    assert all("hunter2" not in json.dumps(c.args) for c in harness.fake.calls)


async def test_dm_is_always_answered(harness: Harness) -> None:
    await harness.event(channel_message("hello?", channel="D123", channel_type="im"))
    await harness.settle()
    [reply] = harness.fake.posts
    assert reply.channel == "D123"
    assert reply.thread_ts is None


# -------------------------------------------------------------------------------------------- triage threads


async def test_thread_replies_update_only_on_new_evidence(harness: Harness) -> None:
    root = "1482960137.003543"
    await harness.event(channel_message("smtp.gmail.com:587 says 535 5.7.8", ts=root, event_id="Ev1"))
    await harness.settle()
    assert len(harness.fake.posts) == 1
    await harness.event(
        thread_reply("thanks, trying that now", thread_ts=root, ts="1482960137.1", event_id="Ev2")
    )
    await harness.settle()
    assert len(harness.fake.posts) == 1, "chatter must not get a reply"
    await harness.event(
        thread_reply(
            "now with port 465 I get: ssl wrong version number",
            thread_ts=root,
            ts="1482960137.2",
            event_id="Ev3",
        )
    )
    await harness.settle()
    update = harness.fake.posts[-1]
    assert len(harness.fake.posts) == 2
    assert update.thread_ts == root
    assert "What changed" in update.text
    assert "TLS mode does not match the port" in update.text
    await harness.event(thread_reply("still failing", thread_ts=root, ts="1482960137.3", event_id="Ev4"))
    await harness.settle()
    assert len(harness.fake.posts) == 3
    assert "still fails" in harness.fake.posts[-1].text


async def test_mention_answers_once_though_it_arrives_twice(harness: Harness) -> None:
    text = f"<@{BOT_USER_ID}> {SMTP_PASTE}"
    mention = payload("event_app_mention.json")
    mention["event"].update({"text": text, "channel": "C123ABC456", "ts": "1515449522.000016"})
    mention["event_id"] = "EvMention"
    await harness.event(channel_message(text, ts="1515449522.000016", event_id="EvMessage"))
    await harness.event(mention)
    await harness.settle()
    [reply] = harness.fake.posts
    assert reply.thread_ts == "1515449522.000016"


async def test_mention_in_a_thread_reads_the_whole_thread(harness: Harness) -> None:
    root = "1482960137.003543"
    harness.fake.threads[("C123ABC456", root)] = [
        {"type": "message", "user": "U1", "text": "mail stopped working", "ts": root, "thread_ts": root},
        {"type": "message", "user": "U2", "text": SMTP_PASTE, "ts": "1482960137.1", "thread_ts": root},
        {"type": "message", "bot_id": "BOTHER", "text": "534-5.7.9 from another bot", "ts": "1482960137.2"},
        {"type": "message", "user": "U1", "text": f"<@{BOT_USER_ID}> ideas?", "ts": "1482960137.3"},
    ]
    mention = payload("event_app_mention.json")
    mention["event"].update(
        {"text": f"<@{BOT_USER_ID}> ideas?", "channel": "C123ABC456", "ts": "1482960137.3", "thread_ts": root}
    )
    await harness.event(mention)
    await harness.settle()
    [fetch] = harness.fake.of("conversations.replies")
    assert fetch.args["ts"] == root
    [reply] = harness.fake.posts
    assert reply.thread_ts == root
    assert "Wrong username or password" in reply.text


async def test_mention_without_smtp_content_still_answers(harness: Harness) -> None:
    mention = payload("event_app_mention.json")
    await harness.event(mention)
    await harness.settle()
    [reply] = harness.fake.posts
    assert reply.thread_ts == mention["event"]["ts"]
    assert "could not find" in reply.text


# ---------------------------------------------------------------------------- buttons, shortcut, modal, home


async def _command_answer(harness: Harness) -> dict[str, str]:
    await harness.command(SMTP_PASTE)
    await harness.settle()
    values = harness.fake.posts[-1].action_values()
    harness.fake.calls.clear()
    return values


def click(harness: Harness, action_id: str, value: str, *, ephemeral: bool = True) -> dict[str, Any]:
    body = copy.deepcopy(payload("block_actions.json"))
    body.update(
        {
            "team": {"id": "T123ABC456", "domain": "example"},
            "channel": {"id": "C2147483705", "name": "t"},
            "response_url": harness.fake.response_url("click"),
        }
    )
    body["container"] = {
        "type": "message",
        "message_ts": "1548261231.000200",
        "channel_id": "C2147483705",
        "is_ephemeral": ephemeral,
    }
    if ephemeral:
        body.pop("message", None)
    body["actions"] = [
        {
            "action_id": action_id,
            "block_id": "smtp_help_actions",
            "value": value,
            "type": "button",
            "action_ts": "1548426417.840180",
        }
    ]
    return body


async def test_share_posts_the_answer_publicly(harness: Harness) -> None:
    values = await _command_answer(harness)
    status, _ = await harness.interactive(click(harness, ACTION_SHARE, values[ACTION_SHARE]))
    await harness.settle()
    assert status == 200
    [shared] = harness.fake.posts
    assert shared.public
    assert "Shared by <@UA8RXUSPL>" in shared.text


async def test_other_causes_lists_the_runners_up(harness: Harness) -> None:
    values = await _command_answer(harness)
    await harness.interactive(click(harness, ACTION_OTHER, values[ACTION_OTHER]))
    await harness.settle()
    [other] = harness.fake.posts
    assert other.ephemeral
    assert "App password required" in other.text
    assert ACTION_SHOW_FIX in other.action_values()


async def test_feedback_is_recorded_once_and_thanked(harness: Harness) -> None:
    values = await _command_answer(harness)
    for _ in range(2):
        await harness.interactive(click(harness, ACTION_FIXED, values[ACTION_FIXED]))
        await harness.settle()
    report = await harness.services.store.feedback_report("T123ABC456")
    [cause] = [c for c in report.causes if c.cause_id == "bad_credentials"]
    assert cause.helpful == 1
    assert all("Thanks" in p.text for p in harness.fake.posts)


async def test_probe_button_updates_the_private_answer_in_place(harness: Harness) -> None:
    values = await _command_answer(harness)
    assert json.loads(values[ACTION_PROBE])["t"] == "smtp.gmail.com:587"
    await harness.interactive(click(harness, ACTION_PROBE, values[ACTION_PROBE]))
    await harness.settle()
    progress, result = harness.fake.posts
    assert "probing smtp.gmail.com:587" in progress.text
    assert progress.args["replace_original"]
    assert "TLSv1.3" in result.text
    assert result.args["replace_original"]


async def test_probe_button_on_a_thread_reply_posts_progress_then_updates_it(harness: Harness) -> None:
    await harness.event(channel_message(SMTP_PASTE))
    await harness.settle()
    value = harness.fake.posts[0].action_values()[ACTION_PROBE]
    harness.fake.calls.clear()
    body = click(harness, ACTION_PROBE, value, ephemeral=False)
    body["channel"]["id"] = body["container"]["channel_id"] = "C123ABC456"
    body["message"] = {
        "type": "message",
        "ts": "1700000000.000001",
        "thread_ts": "1355517523.000005",
        "bot_id": BOT_ID,
    }
    await harness.interactive(body)
    await harness.settle()
    progress, update = harness.fake.posts
    assert progress.method == "chat.postMessage"
    assert progress.thread_ts == "1355517523.000005"
    assert update.method == "chat.update"
    assert "TLSv1.3" in update.text


async def test_expired_reference_says_so(harness: Harness) -> None:
    await harness.interactive(click(harness, ACTION_OTHER, json.dumps({"r": "p-gone"})))
    await harness.settle()
    [reply] = harness.fake.posts
    assert "expired" in reply.text


async def test_message_shortcut_answers_privately(harness: Harness) -> None:
    body = payload("message_action.json")
    body.update(
        {"callback_id": "smtp_help_diagnose_message", "response_url": harness.fake.response_url("sc")}
    )
    body["message"]["text"] = SMTP_PASTE
    status, _ = await harness.interactive(body)
    await harness.settle()
    assert status == 200
    [answer] = harness.fake.posts
    assert answer.ephemeral
    assert "Wrong username or password" in answer.text


async def test_modal_submission_answers_privately_in_the_channel(harness: Harness) -> None:
    body = payload("view_submission.json")
    body["view"].update(
        {
            "callback_id": MODAL_CALLBACK,
            "private_metadata": json.dumps({"channel": "C42"}),
            "state": {
                "values": {
                    MODAL_INPUT_BLOCK: {
                        MODAL_INPUT_ACTION: {"type": "plain_text_input", "value": SMTP_PASTE}
                    }
                }
            },
        }
    )
    status, _ = await harness.interactive(body)
    await harness.settle()
    assert status == 200
    [answer] = harness.fake.posts
    assert answer.method == "chat.postEphemeral"
    assert answer.channel == "C42"


async def test_app_home_is_published(harness: Harness) -> None:
    await harness.event(payload("app_home_opened.json"))
    await harness.settle()
    [publish] = harness.fake.of("views.publish")
    assert publish.args["user_id"] == "U123ABC456"
    assert "Wrong username or password" in publish.text
    assert "Gmail" in publish.text


async def test_app_home_shows_feedback_by_cause_for_this_workspace(harness: Harness) -> None:
    """Issue 5: App Home shows per cause how often it was suggested, helped and didn't."""
    store = harness.services.store
    team = payload("app_home_opened.json").get("team_id") or ""
    await store.record_diagnosis(team_id=team, channel="C1", cause_id="bad_credentials", source="command")
    await store.record_feedback(team_id=team, channel="C1", user="U1", cause_id="bad_credentials", helpful=False,
                                paste="535 5.7.8 Username and Password not accepted")
    await harness.event(payload("app_home_opened.json"))
    await harness.settle()
    [publish] = harness.fake.of("views.publish")
    assert "Feedback by cause" in publish.text
    assert "Wrong username or password*: suggested 1, helped 0, didn't help 1" in publish.text


async def test_a_failing_fix_template_still_gets_the_diagnosis_out(harness: Harness) -> None:
    def broken(*_a: Any, **_kw: Any) -> str:
        raise RuntimeError("template bug")

    harness.services.fix_text = broken
    await harness.command(SMTP_PASTE)
    await harness.settle()
    [answer] = harness.fake.posts
    assert "Wrong username or password" in answer.text
    assert "could not be rendered" in answer.text
