"""--json / --jsonl (issue 12 §5): each cause's title and fix (plain and mrkdwn, the texts the terminal and Slack
show), the wording level, the schema version, and no causes when the paste is not SMTP. Pastes written for this
test."""

from __future__ import annotations

import json

import pytest

from bot.commands.diagnose import SCHEMA, answer_object
from bot.diagnose import channel_reply, diagnose
from bot.kb import load_knowledge_base
from bot.kb.model import KnowledgeBase
from bot.render.fix import fix_text
from bot.render.headline import headline
from bot.render.names import cause_title
from bot.render.slack.answer import diagnosis_blocks
from bot.render.text import render_text
from bot.wording import WORDINGS, wording


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


PASTES = [
    "Error: Invalid login: 535-5.7.8 Username and Password not accepted.\n"
    "    at SMTPConnection._formatError (node_modules/nodemailer/lib/smtp-connection/index.js:790:19)\n"
    "  code: 'EAUTH', responseCode: 535, command: 'AUTH PLAIN'   host smtp.gmail.com:465",
    "MAIL_HOST=smtp.office365.com\nMAIL_PORT=465\nMAIL_ENCRYPTION=ssl\nMAIL_USERNAME=scans@contoso.example",
    "SMTP_HOST=smtp.sendgrid.net\nSMTP_PORT=587\nSMTP_USER=apikey\nSMTP_PASS=<api key>",
    "smtplib.SMTPException: something went wrong while talking to smtp.example.com",
    "SMTP server mail.example.org port 587, it just hangs when sending",
]
NOT_SMTP_WITH_CAUSES = [
    "pip install requests: SSL: CERTIFICATE_VERIFY_FAILED certificate verify failed: unable to get local issuer "
    "certificate",
    "curl: (7) Failed to connect to api.example.com port 443: Connection refused",
]


def _texts(blocks: list[dict]) -> str:
    return "\n".join(str(b.get("text", {}).get("text", "")) for b in blocks if isinstance(b.get("text"), dict))


@pytest.mark.parametrize("paste", PASTES)
def test_each_cause_carries_its_title_and_the_fix_the_views_show(kb: KnowledgeBase, paste: str) -> None:
    d = diagnose(paste, kb=kb)
    out = json.loads(json.dumps(answer_object(d, kb)))
    assert out["schema"] == SCHEMA
    assert isinstance(out["schema"], int)
    assert out["wording"] == wording(d, kb)
    assert out["headline"] == headline(d, kb).text
    assert out["channel_reply"] is channel_reply(d)
    # the bot speaks unasked exactly when it may say "likely" (or when it approves settings it is sure of)
    assert (out["wording"] == "likely") <= out["channel_reply"]
    assert out["channel_reply"] <= (out["wording"] in ("likely", "settings_look_right"))
    assert [c["id"] for c in out["causes"]] == [c.id for c in d.causes]
    for c in out["causes"]:
        assert c["title"] == cause_title(kb, c["id"])
        assert c["fix"]["plain"] == fix_text(d, kb, c["id"], mrkdwn=False)
        assert c["fix"]["mrkdwn"] == fix_text(d, kb, c["id"], mrkdwn=True)
        assert c["fix"]["plain"]
    top = out["causes"][0]
    if out["wording"] in ("likely", "possibly"):
        # the terminal prints the top cause's plain fix, Slack's answer the mrkdwn one
        assert top["fix"]["plain"] in render_text(d, kb)
        slack = _texts(diagnosis_blocks(d, kb=kb, fix=top["fix"]["mrkdwn"]))
        first_step = top["fix"]["mrkdwn"].splitlines()[0]
        assert first_step[:25] in slack  # Slack's answer may turn a URL later in the step into a link


@pytest.mark.parametrize("paste", NOT_SMTP_WITH_CAUSES)
def test_not_smtp_means_no_causes(kb: KnowledgeBase, paste: str) -> None:
    d = diagnose(paste, kb=kb)
    assert not d.is_smtp
    assert d.causes, "the classifier ranked something, yet the answer lists none"
    out = answer_object(d, kb)
    assert out["is_smtp"] is False
    assert out["causes"] == []
    assert out["wording"] == "not_smtp"
    assert out["channel_reply"] is False


def test_the_wording_levels_reach_json(kb: KnowledgeBase) -> None:
    seen = {answer_object(diagnose(p, kb=kb), kb)["wording"] for p in PASTES + NOT_SMTP_WITH_CAUSES}
    assert seen == set(WORDINGS)
