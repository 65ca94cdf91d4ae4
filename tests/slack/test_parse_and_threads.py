"""Pure Slack decisions: which messages to read, sub-commands (bot.slack.parse), thread updates (bot.slack.threads)."""

from __future__ import annotations

import pytest

from bot.model import CauseMatch, Diagnosis, Facts
from bot.slack import parse, threads

OWN = {"bot_user_id": "UBOT", "bot_id": "BBOT", "triage_bot_ids": ("BDESK",)}


def msg(**kw: object) -> dict[str, object]:
    return {"type": "message", "channel": "C1", "ts": "1.1", "user": "U1", "text": "x", **kw}


@pytest.mark.parametrize(
    ("event", "skipped"),
    [
        (msg(), False),
        (msg(subtype="thread_broadcast"), False),
        (msg(subtype="file_share"), False),
        (msg(subtype="message_changed"), True),
        (msg(subtype="message_deleted"), True),
        (msg(subtype="channel_join"), True),
        (msg(hidden=True), True),
        (msg(user="UBOT"), True),
        (msg(bot_id="BBOT"), True),
        (msg(bot_id="BOTHER"), True),
        (msg(subtype="bot_message", bot_id="BOTHER", user=None), True),
        (msg(subtype="bot_message", bot_id="BDESK", user=None), False),
        (msg(bot_id="BDESK"), False),
        (msg(channel=None), True),
    ],
)
def test_skip_reason(event: dict[str, object], skipped: bool) -> None:
    assert (parse.skip_reason(event, **OWN) is not None) is skipped  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "kind", "arg"),
    [
        ("", "modal", ""),
        ("help", "help", ""),
        ("probe smtp.example.com:587", "probe", "smtp.example.com:587"),
        ("provider Gmail", "provider", "gmail"),
        ("channel OFF", "channel", "off"),
        ("probe failed with 535 5.7.8", "diagnose", "probe failed with 535 5.7.8"),
        ("535 5.7.8 help", "diagnose", "535 5.7.8 help"),
    ],
)
def test_parse_command(text: str, kind: str, arg: str) -> None:
    assert parse.parse_command(text) == parse.Command(kind, arg)


def test_message_text_reads_attachments_and_blocks() -> None:
    assert "535" in parse.message_text({"attachments": [{"title": "Ticket", "text": "535 denied"}]})
    rich = {
        "blocks": [
            {
                "type": "rich_text",
                "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": "535 denied"}]}
                ],
            }
        ]
    }
    assert "535 denied" in parse.message_text(rich)


def test_mentions() -> None:
    assert parse.mentions_user("<@UBOT> help", "UBOT")
    assert not parse.mentions_user("<@UOTHER> help", "UBOT")
    assert parse.strip_mentions("<@UBOT> 535 error") == "535 error"


def d(*causes: tuple[str, float], smtp: bool = True, **facts: object) -> Diagnosis:
    return Diagnosis(
        is_smtp=smtp, causes=tuple(CauseMatch(id=c, confidence=p) for c, p in causes), facts=Facts(**facts)
    )  # type: ignore[arg-type]


TITLES = {"bad_credentials": "Wrong password", "tls_mismatch": "TLS mismatch"}


def test_chatter_is_not_news() -> None:
    before = d(("bad_credentials", 0.8))
    assert (
        threads.thread_update(
            before=before,
            after=before,
            reply=d(smtp=False),
            reply_text="thanks!",
            last_causes=("bad_credentials",),
            titles=TITLES,
        )
        is None
    )


def test_same_error_again_is_not_news() -> None:
    before = d(("bad_credentials", 0.8))
    assert (
        threads.thread_update(
            before=before,
            after=before,
            reply=d(("bad_credentials", 0.8)),
            reply_text="535 again",
            last_causes=("bad_credentials",),
            titles=TITLES,
        )
        is None
    )


def test_new_settings_change_the_cause() -> None:
    upd = threads.thread_update(
        before=d(("bad_credentials", 0.8)),
        after=d(("tls_mismatch", 0.9), port=465),
        reply=d(("tls_mismatch", 0.9), port=465),
        reply_text="port 465",
        last_causes=("bad_credentials",),
        titles=TITLES,
    )
    assert upd is not None
    assert upd.cause_id == "tls_mismatch"
    assert "port now known: 465" in upd.changes
    assert "most likely cause: Wrong password → TLS mismatch" in upd.changes


def test_still_failing_moves_to_the_next_cause() -> None:
    both = d(("bad_credentials", 0.8), ("tls_mismatch", 0.4))
    upd = threads.thread_update(
        before=both,
        after=both,
        reply=d(smtp=False),
        reply_text="Still failing :(",
        last_causes=("bad_credentials",),
        titles=TITLES,
    )
    assert upd is not None
    assert upd.cause_id == "tls_mismatch"


def test_confident_enough() -> None:
    assert threads.confident_enough(d(("bad_credentials", 0.8)))
    assert not threads.confident_enough(d(("bad_credentials", 0.3)))
