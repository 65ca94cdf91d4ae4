"""Issue 11's groups on our own pastes (tests/data/clients_pastes.yaml, never the shared evaluation set): desktop and
phone mail clients, and errors in other languages (Thunderbird's translations, QQ/163/Aliyun replies, CJK mojibake).
Each must be answered first with a cause a support engineer would accept, or stay silent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.diagnose import diagnose
from bot.kb import KnowledgeBase

try:  # the knowledge/messages loader (issue 10 §2): these pastes are answered from the apps' own message files
    from bot.kb.model import KIND_WEIGHTS  # noqa: F401
    MESSAGES = True
except ImportError:
    MESSAGES = False
needs_messages = pytest.mark.skipif(not MESSAGES, reason="knowledge/messages is not loaded on this branch yet")

CASES: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "data" / "clients_pastes.yaml").read_text())


@needs_messages
@pytest.mark.parametrize("case", CASES, ids=[f"{c['group']}-{i:02d}-{c['labels'][0]}" for i, c in enumerate(CASES)])
def test_client_paste_is_answered_with_an_accepted_cause_first(case: dict[str, Any], kb: KnowledgeBase) -> None:
    d = diagnose(case["text"], kb=kb)
    first = d.top.id if d.is_smtp and d.top else "not_smtp"
    assert first in case["labels"], [(c.id, c.confidence) for c in d.causes[:3]]
    if first != "not_smtp":
        assert d.top is not None
        assert d.top.evidence, "the answer says which message it recognised"
