"""The committed live-fire corpus (captures.jsonl), diagnosed by the real engine: no client is run here.

Every capture is the real output of a real client against a server misconfigured by construction; a capture the
engine gets wrong fails unless tests/livefire/known_misses.yaml lists it with a reason (then it is an xfail, and
an xpass is reported so the list can shrink).
"""

from __future__ import annotations

import base64

import pytest

from bot.kb import KnowledgeBase
from tests.livefire import capture
from tests.livefire.clients import CLIENTS, SECRET_FORMS
from tests.livefire.scenarios import GOOD_PASSWORD, SCENARIOS, WRONG_PASSWORD

CORPUS = capture.load_corpus()
KNOWN = capture.load_known_misses()
BY_NAME = {s.name: s for s in SCENARIOS}


def test_corpus_has_every_client_against_every_scenario() -> None:
    pairs = [(c.client, c.scenario) for c in CORPUS]
    assert len(pairs) == len(set(pairs))
    assert set(pairs) == {(c, s.name) for c in CLIENTS for s in SCENARIOS}


def test_corpus_labels_are_the_scenarios_labels_and_taxonomy_ids(kb: KnowledgeBase) -> None:
    for cap in CORPUS:
        assert cap.expected == BY_NAME[cap.scenario].expected, cap.scenario
        assert set(cap.expected) <= set(kb.causes), cap.expected


def test_corpus_carries_no_test_password_in_any_form() -> None:
    forms = [secret for secret, _ in SECRET_FORMS]
    assert base64.b64encode(GOOD_PASSWORD.encode()).decode() in forms
    for cap in CORPUS:
        for secret in (*forms, GOOD_PASSWORD, WRONG_PASSWORD):
            assert secret not in cap.text, (cap.client, cap.scenario)


def test_known_misses_name_real_captures_with_a_reason() -> None:
    pairs = {(c.client, c.scenario) for c in CORPUS}
    for key, reason in KNOWN.items():
        assert key in pairs, key
        assert len(reason.split()) >= 4, key


@pytest.fixture(scope="module")
def verdicts(kb: KnowledgeBase) -> dict[tuple[str, str], capture.Verdict]:
    judged = capture.judge(CORPUS, kb, KNOWN)
    capture.LAST_CORPUS[:] = judged
    return {v.key: v for v in judged}


@pytest.mark.parametrize("key", [(c.client, c.scenario) for c in CORPUS], ids=lambda k: f"{k[0]}-{k[1]}")
def test_engine_names_the_constructed_cause(key: tuple[str, str],
                                            verdicts: dict[tuple[str, str], capture.Verdict]) -> None:
    v = verdicts[key]
    if not v.right and v.known:
        pytest.xfail(v.known)
    assert v.answer in v.capture.expected, f"answered {v.answer}, expected one of {v.capture.expected}"
