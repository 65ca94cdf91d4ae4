"""Issue 12's bar on pastes written for it (tests/data/answer_pastes.yaml): the accepted cause or wording, the
facts read right (host and port), the fix's first step the one the paste points to, no host in the fix that is
neither the paste's nor the provider's, no sentence said twice, and a rotate note only where a secret was pasted."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.diagnose import diagnose
from bot.kb import KnowledgeBase, load_knowledge_base
from bot.render.fix import fix_text
from bot.render.headline import headline
from bot.render.slack.answer import diagnosis_blocks
from bot.render.text import render_text
from tests.render.test_answer_order import _duplicates, _slack_text

PASTES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parents[1] / "data" / "answer_pastes.yaml").read_text(encoding="utf-8"))
_HOST = re.compile(r"(?<![\w@/.$>-])((?:[a-z0-9-]+\.)+[a-z]{2,})(?![\w(-])", re.I)
# Names in a fix that are not mail hosts: setting keys (mail.smtp.port), code (fs.readFileSync), placeholders.
_NOT_A_HOST = re.compile(r"^(?:mail\.smtp|spring\.mail|auth\.|system\.|fs\.)|(?:^|\.)example$|example\.(?:com|org|net)$"
                         r"|\.(?:php|py|js|pem|crt|cf|conf|yaml|json|env|ini)$")


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.mark.parametrize("case", PASTES, ids=[p["id"] for p in PASTES])
def test_the_answer_is_right_and_reads_the_facts_right(kb: KnowledgeBase, case: dict[str, Any]) -> None:
    d = diagnose(case["text"], kb=kb)
    h = headline(d, kb)
    if "wording" in case:
        assert h.level == case["wording"], h.text
    if "causes" in case:
        assert h.cause_id in case["causes"], (h.level, h.text, d.causes[:3])
    if "host" in case:
        assert d.facts.host == case["host"]
    if "port" in case:
        assert d.facts.port == case["port"]
    if not h.cause_id:
        return
    fix = fix_text(d, kb, h.cause_id, mrkdwn=False)
    first = next((line for line in fix.splitlines() if line.startswith("1. ")), "")
    if "first" in case:
        assert case["first"] in first, first
    for words in case.get("says", ()):
        assert words in fix, fix
    for words in case.get("not_says", ()):
        assert words not in fix, fix
    provider = kb.providers.get(d.facts.provider or "")
    known = set(d.facts.hosts) | {str(s.get("host", "")).lower()
                                  for s in ((provider.data.get("submission") or ()) if provider else ())}
    named = {h.lower() for h in _HOST.findall(re.sub(r"https?://\S+", "", fix))}
    assert {h for h in named - known if not _NOT_A_HOST.search(h)} == set(), fix


@pytest.mark.parametrize("case", PASTES, ids=[p["id"] for p in PASTES])
def test_no_sentence_twice_and_rotate_only_for_a_real_secret(kb: KnowledgeBase, case: dict[str, Any]) -> None:
    d = diagnose(case["text"], kb=kb)
    text = render_text(d, kb)
    # The dialogue block shows the session as it ran: two EHLOs are two events, not a sentence said twice.
    answer = text.split("\nThe SMTP dialogue", 1)[0]
    assert _duplicates(answer) == []
    assert ("rotate" in text.lower()) == bool(case.get("rotate")), text
    top = d.top.id if d.top else None
    slack = _slack_text(diagnosis_blocks(d, kb=kb, fix=fix_text(d, kb, top, mrkdwn=True) if top else None))
    assert ("rotate" in slack.lower()) == bool(case.get("rotate"))
