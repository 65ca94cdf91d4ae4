"""The SMTP dialogue of a pasted transcript in the Slack answer: a code block, failing step named, escaped."""

from __future__ import annotations

import json
from pathlib import Path

from bot.diagnose import diagnose
from bot.kb import KnowledgeBase
from bot.render.slack.answer import diagnosis_blocks

DATA = Path(__file__).resolve().parents[1] / "data" / "transcripts"


def test_a_transcript_answer_shows_the_dialogue_with_the_failing_step(kb: KnowledgeBase) -> None:
    d = diagnose((DATA / "mailkit_530_no_auth.txt").read_text(), kb=kb)
    blocks = diagnosis_blocks(d, kb=kb, fix=None)
    texts = [b["text"]["text"] for b in blocks if b.get("type") == "section" and "text" in b]
    dialogue = next(t for t in texts if t.startswith("*SMTP dialogue*"))
    assert "it failed at *MAIL FROM*" in dialogue
    assert "```" in dialogue
    assert "✗ MAIL FROM" in dialogue
    assert "&lt;app@example.com&gt;" in dialogue          # user text escaped inside the code block too
    assert "<app@example.com>" not in json.dumps(blocks)


def test_a_fence_in_a_reply_cannot_close_the_code_block(kb: KnowledgeBase) -> None:
    text = "S: 220 mx.example.com ESMTP\nC: EHLO me\nS: 250 ok\nC: MAIL FROM:<a@example.com>\n" \
           "S: 553 5.7.1 ``` <@U123> <!channel> rejected\n"
    d = diagnose(text, kb=kb)
    blocks = diagnosis_blocks(d, kb=kb, fix=None)
    dialogue = next(b["text"]["text"] for b in blocks
                    if b.get("type") == "section" and b["text"]["text"].startswith("*SMTP dialogue*"))
    assert dialogue.count("```") == 2
    assert "<!channel>" not in dialogue
    assert "<@U123>" not in dialogue
