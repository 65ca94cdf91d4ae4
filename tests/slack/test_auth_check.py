"""The private login test ("Test login", `/smtp-help probe host --auth`) end to end, and the probe rate limits.

Signed requests go to the real app with the real knowledge base and engine; the fake Web API records every call;
the probe is the real one, against the probe suite's aiosmtpd server on loopback (STARTTLS, AUTH only after TLS,
USER/PASSWORD accepted), reached for port 587 through `Services.probe_options` (tests only). The app's probe
runner is an arq queue runner that fails the test if anything uses it: the credentials must never reach Redis
or the probe cache.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.probe.report import ProbeReport
from bot.probe.runner import ArqProbeRunner
from bot.render.slack.actions import ACTION_AUTH_CHECK, ACTION_PROBE
from bot.render.slack.login import (
    LOGIN_MODAL_CALLBACK,
    LOGIN_PASSWORD_ACTION,
    LOGIN_PASSWORD_BLOCK,
    LOGIN_USER_ACTION,
    LOGIN_USER_BLOCK,
    login_modal,
)
from tests.probe.conftest import PASSWORD, USER, Certs, ServerFactory, certs, smtp_server  # noqa: F401  (fixtures)
from tests.slack.conftest import FakeProbe, Harness, live_harness, payload
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_http_app import click

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)
_SUBMISSIONS = itertools.count(1)
PASTE = "smtplib.SMTPNotSupportedError: SMTP AUTH extension not supported by server. host=127.0.0.1 port=587"
TARGET = "127.0.0.1:587"
CHANNEL = "C2147483705"
SUBMITTER = "U123ABC456"  # view_submission.json's user
WRONG = "not-the-Pa55word"


class QueueRunner(ArqProbeRunner):
    """The production queue runner (arq on Redis, with the probe cache); records every use."""

    def __init__(self, *a: Any, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def run(self, target: str, **kw: Any) -> ProbeReport:
        self.calls.append((target, kw))
        raise AssertionError("a probe went through the arq queue")


@pytest.fixture
async def live(fake: FakeSlack, smtp_server: ServerFactory, certs: Certs) -> AsyncIterator[Harness]:  # noqa: F811
    port = await smtp_server("plain")
    async with live_harness(fake, runner=QueueRunner, probe_allow_networks=LOOPBACK, probe_timeout_s=5.0,
                            redis_url="redis://127.0.0.1:9/0",
                            probe_options={"port_map": {587: port}, "ca_file": certs.ca_file}) as h:
        yield h


def submission(username: str, password: str, *, target: str = TARGET, channel: str = CHANNEL) -> dict[str, Any]:
    """A view_submission of the login modal as Slack sends it (the documented payload, our view's fields)."""
    body: dict[str, Any] = payload("view_submission.json")
    # Slack signs each submission once; two identical ones in the same second would be a replay (bot.slack.serve).
    body["trigger_id"] = f"{next(_SUBMISSIONS)}.{body.get('trigger_id', '')}"
    view = login_modal(target=target, port=587, channel_id=channel, checks_left=3)
    body["view"].update(
        {
            "callback_id": view["callback_id"],
            "private_metadata": view["private_metadata"],
            "blocks": view["blocks"],
            "state": {
                "values": {
                    LOGIN_USER_BLOCK: {LOGIN_USER_ACTION: {"type": "plain_text_input", "value": username}},
                    LOGIN_PASSWORD_BLOCK: {
                        LOGIN_PASSWORD_ACTION: {"type": "plain_text_input", "value": password}
                    },
                }
            },
        }
    )
    return body


async def _submit(h: Harness, username: str, password: str) -> Any:
    """Submit the modal; it must close at once (an empty 200), and exactly one private answer follows."""
    before = len(h.fake.posts)
    started = time.monotonic()
    status, text = await h.interactive(submission(username, password))
    assert status == 200
    assert text == ""  # ack() with no response_action: Slack closes the modal
    assert time.monotonic() - started < 1.0
    await h.settle(5)
    [answer] = h.fake.posts[before:]
    return answer


def _texts(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(str((b.get("text") or {}).get("text", "")) for b in blocks)


async def test_test_login_button_opens_a_private_modal_for_the_probe_target(live: Harness) -> None:
    await live.command(PASTE)
    await live.settle()
    [answer] = live.fake.posts
    values = answer.action_values()
    assert json.loads(values[ACTION_AUTH_CHECK]) == {"t": TARGET}
    assert list(values).index(ACTION_AUTH_CHECK) == list(values).index(ACTION_PROBE) + 1

    await live.interactive(click(live, ACTION_AUTH_CHECK, values[ACTION_AUTH_CHECK]))
    await live.settle()
    [opened] = live.fake.of("views.open")
    assert opened.args["trigger_id"] == payload("block_actions.json")["trigger_id"]
    view = opened.args["view"]
    assert view["callback_id"] == LOGIN_MODAL_CALLBACK
    assert json.loads(view["private_metadata"]) == {"t": TARGET, "c": CHANNEL}
    assert "`127.0.0.1:587` port 587" in opened.text
    assert "used once, for that one AUTH over TLS, and is never stored, logged or shown" in opened.text
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs[LOGIN_PASSWORD_BLOCK]["type"] == "plain_text_input"
    assert inputs[LOGIN_USER_BLOCK]["type"] == "plain_text_input"
    assert not live.fake.posts[1:]  # opening the modal posts nothing


async def test_probe_auth_command_opens_the_modal(live: Harness) -> None:
    status, text = await live.command(f"probe {TARGET} --auth")
    assert status == 200
    assert text == ""
    [opened] = await live.fake.wait_for(1, "views.open")
    assert opened.args["trigger_id"] == "13345224609.7384"
    assert opened.args["view"]["callback_id"] == LOGIN_MODAL_CALLBACK
    assert live.fake.posts == []


async def test_right_password_is_accepted_and_told_to_that_user_only(live: Harness) -> None:
    answer = await _submit(live, USER, PASSWORD)
    assert answer.method == "chat.postEphemeral"
    assert answer.channel == CHANNEL
    assert answer.args["user"] == SUBMITTER
    assert "login accepted" in answer.args["text"]
    text = _texts(answer.blocks)
    assert f"*Login accepted* for `{USER}` on port 587 with AUTH PLAIN" in text
    assert "235" in text
    [row] = [line for line in text.splitlines() if line.startswith("587 ")]  # the one port tried
    assert "STARTTLS TLSv1." in row
    assert "trusted" in row
    assert not [c for c in live.fake.posts if c.public]


async def test_wrong_password_gets_the_535_and_the_bad_credentials_fix(live: Harness) -> None:
    answer = await _submit(live, USER, WRONG)
    assert answer.method == "chat.postEphemeral"
    assert answer.args["user"] == SUBMITTER
    assert "login refused (535)" in answer.args["text"]
    text = _texts(answer.blocks)
    assert f"*Login refused* for `{USER}` on port 587 with AUTH PLAIN — the server said `535" in text
    title = live.services.kb.causes["bad_credentials"].title
    assert f"*How to fix it: {title}*" in text
    assert "```\nport" in text  # the per-port table


async def test_the_password_reaches_no_slack_call_log_record_store_row_or_queue(
    live: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger, and every logger that set its own level (bolt's)
    quiet = [x for x in logging.root.manager.loggerDict.values() if isinstance(x, logging.Logger)]
    for logger in quiet:
        if logger.level != logging.NOTSET:
            caplog.set_level(logging.DEBUG, logger=logger.name)
    deaf = [logger for logger in quiet if not logger.propagate]  # they never reach the root's handler
    for logger in deaf:
        logger.addHandler(caplog.handler)
    try:
        await _submit(live, USER, PASSWORD)
        await _submit(live, USER, WRONG)
    finally:
        for logger in deaf:
            logger.removeHandler(caplog.handler)
    names = {r.name for r in caplog.records}
    assert {"slack_bolt.AsyncApp", "slack_sdk.web.async_base_client"} <= names  # the capture sees DEBUG

    for secret in (PASSWORD, WRONG):
        for call in live.fake.calls:
            assert secret not in json.dumps(call.args), call.method
            assert secret not in call.path
        for record in caplog.records:
            assert secret not in record.getMessage(), record.name
            assert secret not in repr(record.args), record.name
            assert secret not in (record.exc_text or ""), record.name
        assert secret not in repr(vars(live.services.store))  # rows, counters, the probe cache
    assert live.services.store._probes == {}  # the login test put nothing in the probe cache
    assert live.services.probe.calls == []  # never the arq queue (nor its cache key, which encodes the kwargs)


async def test_the_fourth_login_test_in_ten_minutes_is_refused(live: Harness) -> None:
    for _ in range(3):
        answer = await _submit(live, USER, WRONG)
        assert "*Login refused*" in _texts(answer.blocks)
    refused = await _submit(live, USER, PASSWORD)
    assert refused.method == "chat.postEphemeral"
    assert "You have tested a login 3 times in the last 10 minutes" in refused.text
    assert "Login accepted" not in refused.text


async def test_login_tests_count_against_the_users_probe_limit(live: Harness) -> None:
    """Three login tests use three of the user's five probes in ten minutes: two more probes, then a refusal."""
    for _ in range(3):
        await _submit(live, USER, WRONG)
    live.services.probe = FakeProbe()  # plain probes need no server here
    answers = []
    for i in range(3):
        await live.command("probe 127.0.0.1:587", user_id=SUBMITTER, response_url=live.fake.response_url(f"p{i}"))
        await live.settle()
        answers.append(live.fake.posts[-1].text)
    assert "TLSv1.3" in answers[0]
    assert "TLSv1.3" in answers[1]
    assert "You have run 5 probes in the last 10 minutes" in answers[2]


async def test_a_login_test_from_a_dm_with_no_channel_answers_in_the_dm(live: Harness) -> None:
    before = len(live.fake.posts)
    await live.interactive(submission(USER, PASSWORD, channel=""))
    await live.settle(5)
    [answer] = live.fake.posts[before:]
    assert answer.method == "chat.postMessage"
    assert answer.channel == SUBMITTER
    assert "*Login accepted*" in _texts(answer.blocks)


async def test_an_empty_password_keeps_the_modal_open_with_an_error(live: Harness) -> None:
    status, text = await live.interactive(submission(USER, ""))
    assert status == 200
    assert json.loads(text) == {
        "response_action": "errors",
        "errors": {LOGIN_PASSWORD_BLOCK: "Enter the SMTP password."},
    }
    await live.settle()
    assert live.fake.posts == []


async def test_the_21st_probe_in_a_channel_within_the_hour_is_refused(harness: Harness) -> None:
    """Five users run four probes each in one channel (each user is under their own limit of 5): the 21st is
    refused in one line, and another channel can still probe."""
    for i in range(21):
        await harness.command(
            "probe smtp.gmail.com:587",
            user_id=f"U10000000{i // 4}",
            response_url=harness.fake.response_url(f"probe{i}"),
        )
    await harness.settle()
    answers = {c.path.rsplit("/", 1)[-1]: c.text for c in harness.fake.posts}  # answers finish in any order
    assert len(answers) == 21
    assert all("TLSv1.3" in answers[f"probe{i}"] for i in range(20))
    assert "This channel has run 20 probes in the last hour; try again later." in answers["probe20"]
    assert len(harness.services.probe.targets) == 20

    await harness.command("probe smtp.gmail.com:587", user_id="U200000000", channel_id="C0OTHER01")
    await harness.settle()
    assert "TLSv1.3" in harness.fake.posts[-1].text
