"""Issue 12 §3, long logs: a text file or snippet shared with the bot is read like a paste (signed HTTP requests
through the real bolt app; files.info and the download served by the fake Web API on loopback)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bot.render.slack.home import LONG_LOG_HINT, PASTE_MAX, paste_modal
from bot.render.slack.kit import FILE_MAX_BYTES
from bot.slack import files
from bot.slack.files import download_allowed
from tests.slack.conftest import Harness, payload
from tests.slack.test_http_app import channel_message, thread_reply

DM = "D0L4B9P0Q"
# a realistic long log: the error is far past the modal's 3,000 characters
LOG = ("\n".join(f"2026-11-30 10:{i // 60:02d}:{i % 60:02d} INFO mailer: queue run {i}, 0 messages"
                 for i in range(120))
       + "\n2026-11-30 10:02:01 ERROR mailer: smtplib.SMTPAuthenticationError: (535, b'5.7.8 Username and "
         "Password not accepted') smtp.gmail.com:587\n")


def file_share(files_: list[dict[str, Any]], *, text: str = "", channel: str = DM, channel_type: str = "im",
               event_id: str = "EvF1", **event: Any) -> dict[str, Any]:
    body = copy.deepcopy(payload("event_message_file_share.json"))
    body["event"].update({"files": files_, "text": text, "channel": channel, "channel_type": channel_type, **event})
    body["event_id"] = event_id
    return body


async def _share(h: Harness, *files_: dict[str, Any], **kw: Any) -> None:
    status, _ = await h.event(file_share(list(files_), **kw))
    assert status == 200
    await h.settle()


def test_the_paste_modal_says_where_a_long_log_goes() -> None:
    modal = paste_modal(channel_id="C1")
    box = modal["blocks"][0]
    assert box["element"]["max_length"] == PASTE_MAX == 3000
    assert box["hint"]["text"] == LONG_LOG_HINT
    assert "3,000 characters" in LONG_LOG_HINT
    assert "direct message" in LONG_LOG_HINT
    assert "snippet" in LONG_LOG_HINT
    assert f"{FILE_MAX_BYTES // 1_000_000} MB" in LONG_LOG_HINT


async def test_a_snippet_in_a_dm_is_read_and_answered(harness: Harness) -> None:
    assert len(LOG) > PASTE_MAX
    f = harness.fake.add_file("F0SNIP1", "mailer.log", LOG.encode())
    await _share(harness, f)
    [download] = harness.fake.of("file_download")
    assert download.args["authorization"] == "Bearer xoxb-1-test"
    assert harness.fake.of("files.info") == []  # the event carried what was needed
    [answer] = harness.fake.posts
    assert answer.channel == DM
    assert "Wrong username or password" in answer.text


async def test_a_slack_connect_file_is_looked_up_with_files_info(harness: Harness) -> None:
    harness.fake.add_file("F0SNIP2", "smtp.txt", LOG.encode())
    await _share(harness, {"id": "F0SNIP2", "mode": "file_access", "file_access": "check_file_info"})
    [info] = harness.fake.of("files.info")
    assert info.args["file"] == "F0SNIP2"
    assert len(harness.fake.of("file_download")) == 1
    assert "Wrong username or password" in harness.fake.posts[-1].text


async def test_a_binary_file_gets_one_clear_line_and_is_not_downloaded(harness: Harness) -> None:
    png = payload("event_message_file_share.json")["event"]["files"][0]
    await _share(harness, png)
    assert harness.fake.of("file_download") == []
    [reply] = harness.fake.posts
    assert reply.channel == DM
    assert "I can only read text: *ghostrap.png* is PNG" in reply.text


async def test_an_oversized_file_gets_one_clear_line_and_is_not_downloaded(harness: Harness) -> None:
    f = harness.fake.add_file("F0BIG", "huge.log", b"x", size=5_000_000)
    await _share(harness, f)
    assert harness.fake.of("file_download") == []
    [reply] = harness.fake.posts
    assert "*huge.log* is 5.0 MB; I read text files up to 1 MB" in reply.text


async def test_a_file_larger_than_it_claims_is_cut_off_while_reading(harness: Harness) -> None:
    f = harness.fake.add_file("F0LIE", "liar.log", b"535 5.7.8\n" * 200_000, size=100)
    await _share(harness, f)
    [reply] = harness.fake.posts
    assert "*liar.log* is larger than 1 MB" in reply.text
    assert "Wrong username" not in reply.text


async def test_text_with_nul_bytes_is_refused_as_binary(harness: Harness) -> None:
    f = harness.fake.add_file("F0NUL", "dump.txt", b"535 5.7.8\x00\x01\x02" * 10)
    await _share(harness, f)
    [reply] = harness.fake.posts
    assert "*dump.txt* is not a text file" in reply.text


async def test_a_download_outside_the_slack_host_is_never_made(harness: Harness) -> None:
    f = harness.fake.add_file("F0EVIL", "evil.log", LOG.encode())
    f = {**f, "url_private_download": "https://files.evil.example/files-pri/x/download/evil.log"}
    await _share(harness, f)
    assert harness.fake.of("file_download") == []
    [reply] = harness.fake.posts
    assert "is not on Slack's file host" in reply.text


async def test_a_download_slack_refuses_says_why(harness: Harness) -> None:
    harness.fake.file_token = "xoxb-other"  # Slack answers its sign-in page when the token may not read files
    f = harness.fake.add_file("F0SCOPE", "mailer.log", LOG.encode())
    await _share(harness, f)
    [reply] = harness.fake.posts
    assert "files:read scope" in reply.text


async def test_a_slow_download_times_out_with_one_line(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "FILE_TIMEOUT_S", 0.2)
    harness.fake.file_delay = 1.0
    f = harness.fake.add_file("F0SLOW", "slow.log", LOG.encode())
    await _share(harness, f)
    [reply] = harness.fake.posts
    assert "Reading *slow.log* took too long" in reply.text


async def test_a_secret_in_a_file_is_redacted_like_a_paste(harness: Harness) -> None:
    f = harness.fake.add_file("F0SECRET", "config.txt", (LOG + "\nMAIL_PASSWORD password=hunter2secret\n").encode())
    await _share(harness, f)
    assert harness.fake.posts
    for call in harness.fake.calls:
        assert "hunter2secret" not in str(call.args)
    threads = harness.services.store._threads  # type: ignore[attr-defined]
    assert threads
    assert all("hunter2secret" not in ctx.text for _, ctx in threads.values())


async def test_a_file_in_a_channel_is_answered_in_its_thread_and_a_binary_one_is_ignored(harness: Harness) -> None:
    png = payload("event_message_file_share.json")["event"]["files"][0]
    await _share(harness, png, channel="C123ABC456", channel_type="channel", ts="1700000001.000100",
                 event_id="EvF2")
    assert harness.fake.posts == []  # nobody asked the bot: no refusal line in a channel
    f = harness.fake.add_file("F0CH", "mailer.log", LOG.encode())
    await _share(harness, f, channel="C123ABC456", channel_type="channel", ts="1700000001.000200", event_id="EvF3")
    [answer] = harness.fake.posts
    assert answer.thread_ts == "1700000001.000200"
    assert "Wrong username or password" in answer.text


async def test_a_file_in_a_triage_thread_updates_the_answer(harness: Harness) -> None:
    root = "1482960137.003543"
    await harness.event(channel_message("smtp.gmail.com:587 says 535 5.7.8", ts=root, event_id="Ev1"))
    await harness.settle()
    assert len(harness.fake.posts) == 1
    f = harness.fake.add_file("F0TLS", "after-change.log", b"now: ssl wrong version number on port 465\n")
    body = thread_reply("here is the new log", thread_ts=root, ts="1482960137.5", event_id="EvF4")
    body["event"].update({"subtype": "file_share", "files": [f]})
    await harness.event(body)
    await harness.settle()
    assert len(harness.fake.posts) == 2
    assert "TLS mode does not match the port" in harness.fake.posts[-1].text
    png = payload("event_message_file_share.json")["event"]["files"][0]
    body = thread_reply("and a screenshot", thread_ts=root, ts="1482960137.6", event_id="EvF5")
    body["event"].update({"subtype": "file_share", "files": [png]})
    await harness.event(body)
    await harness.settle()
    assert "I can only read text" in harness.fake.posts[-1].text  # in a triage thread the bot says why
    assert harness.fake.posts[-1].thread_ts == root


@pytest.mark.parametrize(("url", "api", "ok"), [
    ("https://files.slack.com/files-pri/T1-F1/download/a.log", "https://slack.com/api/", True),
    ("https://slack.com/files-pri/T1-F1/download/a.log", "https://slack.com/api/", True),
    ("http://files.slack.com/files-pri/T1-F1/download/a.log", "https://slack.com/api/", False),
    ("https://files.slack.com.evil.example/a.log", "https://slack.com/api/", False),
    ("https://files.slack.com@evil.example/a.log", "https://slack.com/api/", False),
    ("https://evil.example/files.slack.com/a.log", "https://slack.com/api/", False),
    ("https://files.slack.com:8443/a.log", "https://slack.com/api/", False),
    ("http://127.0.0.1:5000/files-pri/a.log", "http://127.0.0.1:5000/api/", True),
    ("http://127.0.0.1:5001/files-pri/a.log", "http://127.0.0.1:5000/api/", False),
    ("not a url", "https://slack.com/api/", False),
    ("https://files.slack.com:notaport/a", "https://slack.com/api/", False),
])
def test_only_the_configured_slack_host_is_trusted_with_the_token(url: str, api: str, ok: bool) -> None:
    assert download_allowed(url, api) is ok


async def test_a_log_shared_with_a_mention_is_read(harness: Harness) -> None:
    f = harness.fake.add_file("F0MEN", "mailer.log", LOG.encode())
    body = copy.deepcopy(payload("event_app_mention.json"))
    body["event"].update({"text": "<@UBOTSMTP1> why does this fail?", "files": [f]})
    status, _ = await harness.event(body)
    assert status == 200
    await harness.settle()
    [answer] = harness.fake.posts
    assert "Wrong username or password" in answer.text
    assert len(harness.fake.of("file_download")) == 1
