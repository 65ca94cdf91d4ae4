"""Realistic pastes written for these tests (tests/data/pastes.yaml, never the shared evaluation set):
each must be answered first with one of the causes a support engineer would accept, or stay silent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.diagnose import diagnose
from bot.kb import KnowledgeBase

CASES: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "data" / "pastes.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[f"{i:02d}-{c['labels'][0]}" for i, c in enumerate(CASES)])
def test_paste_is_answered_with_an_accepted_cause_first(case: dict[str, Any], kb: KnowledgeBase) -> None:
    d = diagnose(case["text"], kb=kb)
    first = d.top.id if d.is_smtp and d.top else "not_smtp"
    assert first in case["labels"], [(c.id, c.confidence) for c in d.causes[:3]]
    if first != "not_smtp":
        assert d.top is not None
        assert 0.0 < d.top.confidence <= 1.0
        assert d.top.evidence, "an answer always shows the evidence it used"
