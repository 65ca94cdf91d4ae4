"""What would decide an uncertain answer: the knowledge base's own deciding fact, with the paste's host filled in,
and never "paste the exact error" to someone whose paste is the error."""

from __future__ import annotations

import dataclasses

import pytest

from bot.classify import deciding_fact
from bot.diagnose import diagnose
from bot.kb import KnowledgeBase, load_knowledge_base
from bot.model import CauseMatch, Evidence
from bot.render.headline import ASK_FOR_ERROR, headline


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


def test_no_deciding_fact_is_shown_with_a_template_hole(kb: KnowledgeBase) -> None:
    for cause in kb.causes.values():
        for other in cause.confusable:
            for host in ("smtp.example.org", None):
                text = deciding_fact(kb, cause.id, other, host) or ""
                assert "{" not in text, (cause.id, other, text)
                assert "}" not in text, (cause.id, other, text)
    text = deciding_fact(kb, "network_blocked", "wrong_host_or_port", "mail.example-corp.com")
    assert text is not None
    assert "nc -vz mail.example-corp.com 587" in text


def test_an_uncertain_answer_to_an_error_paste_does_not_ask_for_the_error(kb: KnowledgeBase) -> None:
    paste = ('EMAIL_HOST = "smtp.mailgun.org"\nEMAIL_PORT = 2525\nTraceback (most recent call last):\n'
             '  File "/app/notify.py", line 12, in send\nTimeoutError: [Errno 110] Connection timed out\n')
    d = diagnose(paste, kb=kb)
    # whatever the engine's confidence today, held below the threshold: the answer must stay "possibly"
    top = d.causes[0]
    low = dataclasses.replace(top, confidence=0.3, evidence=(Evidence("paste", "TimeoutError: [Errno 110] Connection "
                                                                               "timed out"),))
    d = dataclasses.replace(d, causes=(low, CauseMatch(id="tls_mismatch", confidence=0.1)), ambiguity=None)
    h = headline(d, kb)
    assert h.level == "possibly"
    assert "exact error the app shows" not in h.text
    assert ASK_FOR_ERROR not in h.text
    assert "What would decide:" in h.text


def test_a_close_runner_up_brings_the_knowledge_bases_deciding_fact(kb: KnowledgeBase) -> None:
    paste = ("SMTP ERROR: Password command failed: 535 5.7.0 (#AUTH005) Too many bad auth attempts.\n"
             "SMTP Error: Could not authenticate.\nSMTP Host: smtp.mail.yahoo.com\nSMTP Port: 465\n")
    d = diagnose(paste, kb=kb)
    ids = [c.id for c in d.causes[:2]]
    assert set(ids) == {"app_password_required", "account_restricted"}, d.causes
    h = headline(dataclasses.replace(d, causes=tuple(dataclasses.replace(c, confidence=min(c.confidence, 0.45))
                                                      for c in d.causes)), kb)
    assert "app password" in h.text
    assert "lock" in h.text
