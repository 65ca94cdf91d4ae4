"""A response_url that Slack refuses (expired, used, unreachable): one log line, and the answer still reaches the
user privately, with one line saying why it came another way. Never a traceback."""

from __future__ import annotations

import logging

import pytest

from bot.slack.answers import RESPONSE_URL_FAILED
from tests.slack.conftest import Harness, payload

SMTP_PASTE = "smtplib.SMTPAuthenticationError: (535, b'5.7.8 Username and Password not accepted') smtp.gmail.com:587"


def _no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], caplog.text
    assert "Traceback" not in caplog.text


async def test_an_expired_response_url_is_one_log_line_and_the_answer_comes_ephemerally(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    harness.fake.response_errors["cmd"] = 404
    with caplog.at_level(logging.INFO):
        await harness.command(SMTP_PASTE)
        await harness.settle()
    _no_traceback(caplog)
    assert [r.getMessage() for r in caplog.records if "response_url" in r.getMessage()] == [
        "response_url answered 404: expired_url"]
    assert len(harness.fake.of("response_url")) == 1  # tried once, refused
    [answer] = harness.fake.of("chat.postEphemeral")
    assert (answer.channel, answer.args["user"]) == ("C2147483705", "U2147483697")
    assert "Wrong username or password" in answer.text
    assert RESPONSE_URL_FAILED in answer.text
    assert harness.fake.of("chat.postMessage") == []  # nothing public


async def test_an_unreachable_response_url_is_one_log_line_without_the_url(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    secret_path = "/commands/T123ABC456/1234/SECRETTOKEN"
    with caplog.at_level(logging.INFO):
        await harness.command(SMTP_PASTE, response_url=f"http://127.0.0.1:1{secret_path}")
        await harness.settle()
    _no_traceback(caplog)
    lines = [r.getMessage() for r in caplog.records if "response_url" in r.getMessage()]
    assert len(lines) == 1
    assert lines[0].startswith("response_url post failed (")
    assert not [r for r in caplog.records if r.name.startswith("bot.") and "SECRETTOKEN" in r.getMessage()]
    [answer] = harness.fake.of("chat.postEphemeral")
    assert RESPONSE_URL_FAILED in answer.text


async def test_when_the_ephemeral_fails_too_the_answer_goes_to_a_dm(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    harness.fake.response_errors["sc"] = 404
    harness.fake.errors["chat.postEphemeral"] = "user_not_in_channel"
    body = payload("message_action.json")
    body.update({"callback_id": "smtp_help_diagnose_message", "response_url": harness.fake.response_url("sc")})
    body["message"]["text"] = SMTP_PASTE
    with caplog.at_level(logging.INFO):
        await harness.interactive(body)
        await harness.settle()
    _no_traceback(caplog)
    [dm] = harness.fake.of("chat.postMessage")
    assert dm.channel == body["user"]["id"]
    assert RESPONSE_URL_FAILED in dm.text
    assert "Wrong username or password" in dm.text


async def test_when_every_way_fails_the_user_is_not_sent_a_traceback_and_the_log_has_lines(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    harness.fake.response_errors["cmd"] = 404
    harness.fake.errors["chat.postEphemeral"] = "channel_not_found"
    harness.fake.errors["chat.postMessage"] = "cannot_dm_bot"
    with caplog.at_level(logging.INFO):
        await harness.command(SMTP_PASTE)
        await harness.settle()
    _no_traceback(caplog)
    assert "the private answer could not be sent either: cannot_dm_bot" in caplog.text


def test_a_response_url_in_a_library_log_line_is_masked() -> None:
    from bot.slack.guard import redact_log_records

    redact_log_records()
    url = "https://hooks.slack.com/commands/T123ABC456/1234567890/ZxCvBnMaSdFgHjKlQwErTyUi"
    record = logging.getLogRecordFactory()(
        "slack_sdk.webhook.async_client", logging.INFO, __file__, 1,
        "A retry handler found: %s for POST %s - Cannot connect", ("AsyncConnectionErrorRetryHandler", url), None)
    message = record.getMessage()
    assert "ZxCvBnMaSdFgHjKlQwErTyUi" not in message
    assert "https://hooks.slack.com/[response_url]" in message
    other = logging.getLogRecordFactory()("slack_sdk.web", logging.INFO, __file__, 1, "plain %s", ("line",), None)
    assert other.getMessage() == "plain line"


async def test_a_button_whose_response_url_is_refused_still_answers_privately(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.render.slack.actions import ACTION_OTHER
    from tests.slack.test_http_app import click

    await harness.command(SMTP_PASTE)
    await harness.settle()
    value = harness.fake.posts[-1].action_values()[ACTION_OTHER]
    harness.fake.calls.clear()
    harness.fake.response_errors["click"] = 404
    with caplog.at_level(logging.INFO):
        await harness.interactive(click(harness, ACTION_OTHER, value))
        await harness.settle()
    _no_traceback(caplog)
    [answer] = harness.fake.of("chat.postEphemeral")
    assert RESPONSE_URL_FAILED in answer.text
    assert "Other possible causes" in answer.text
