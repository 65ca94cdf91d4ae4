"""Block Kit builders: limits hold for any input, user text is escaped, slack_sdk accepts the blocks."""

from __future__ import annotations

import dataclasses
import json

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.model import CauseMatch, Diagnosis, Evidence, Facts, Finding, LintIssue
from bot.probe.report import CertInfo, PortResult, ProbeReport
from bot.render.slack.actions import ButtonValue, decode_value, encode_value
from bot.render.slack.answer import diagnosis_blocks, other_causes_blocks
from bot.render.slack.home import home_view, paste_modal, provider_blocks
from bot.render.slack.kit import BUTTON_VALUE_MAX, CUT_NOTE, HEADER_MAX, MAX_BLOCKS, MAX_MESSAGE_JSON, SECTION_MAX
from bot.render.slack.probe import port_table, probe_blocks
from tests.tinykb import tiny_kb

KB = tiny_kb()


def diagnosis(evidence: tuple[str, ...] = ("535 5.7.8",), n_causes: int = 3, **kw: object) -> Diagnosis:
    ids = list(KB.causes)
    causes = tuple(
        CauseMatch(id=ids[i % len(ids)], confidence=0.9 - i * 0.1,
                   evidence=tuple(Evidence("paste", e) for e in evidence))
        for i in range(n_causes)
    )
    kw.setdefault("text", "smtp.gmail.com:587: 535 5.7.8 Username and Password not accepted")  # an error, not settings
    return Diagnosis(
        is_smtp=True, causes=causes, facts=Facts(host="smtp.gmail.com", port=587, provider="gmail"), **kw
    )  # type: ignore[arg-type]


def validate(blocks: list[dict[str, object]], *, max_blocks: int = MAX_BLOCKS) -> None:
    assert len(blocks) <= max_blocks
    for block in blocks:
        Block.parse(block).validate_json()  # raises SlackObjectFormationError on a broken limit
        text = block.get("text")
        if isinstance(text, dict):
            limit = HEADER_MAX if block["type"] == "header" else SECTION_MAX
            assert len(text["text"]) <= limit


def test_a_normal_answer_has_cause_confidence_evidence_fix_and_buttons() -> None:
    blocks = diagnosis_blocks(
        diagnosis(), kb=KB, fix="1. one\n2. two", ref="p-1", probe_target="smtp.gmail.com:587"
    )
    validate(blocks)
    dumped = json.dumps(blocks)
    assert "Wrong username or password" in dumped
    assert "high confidence (90%)" in dumped
    assert "1. one" in dumped
    rows = [b for b in blocks if b["type"] == "actions"]
    assert blocks[-1] is rows[-1]
    assert len(rows) == 2
    assert [len(r["elements"]) for r in rows] == [3, 3]  # probe, test login, other causes | fixed, didn't help, share


def test_huge_inputs_are_cut_within_every_limit_and_buttons_survive() -> None:
    d = diagnosis(
        evidence=tuple("x" * 5000 for _ in range(40)),
        n_causes=30,
        ambiguity="a" * 9000,
        lint=tuple(LintIssue(id="l", cause="tls_mismatch", message="m" * 4000) for _ in range(20)),
    )
    fix = "\n".join(f"{i}. " + "step " * 200 for i in range(200))
    blocks = diagnosis_blocks(d, kb=KB, fix=fix, ref="p-1", probe_target="h" * 400)
    validate(blocks)
    assert len(json.dumps(blocks)) <= MAX_MESSAGE_JSON + 200
    assert blocks[-1]["type"] == "actions"
    assert CUT_NOTE in json.dumps(blocks, ensure_ascii=False)


def test_header_is_capped_at_150() -> None:
    kb = tiny_kb()
    long = dataclasses.replace(kb.causes["bad_credentials"], title="T" * 400)
    kb = dataclasses.replace(kb, causes={**kb.causes, "bad_credentials": long})
    blocks = diagnosis_blocks(diagnosis(), kb=kb, fix=None, ref=None)
    assert blocks[0]["type"] == "header"
    assert len(blocks[0]["text"]["text"]) <= HEADER_MAX


@pytest.mark.parametrize(
    "hostile", ["<!channel>", "<!here>", "<@U123>", "<!subteam^S1>", "<https://evil|fix>"]
)
def test_user_text_cannot_mention_or_link(hostile: str) -> None:
    """mrkdwn gets escaped text; plain_text (headers) never renders mentions, so it may keep it as typed."""
    d = diagnosis(evidence=(f"535 {hostile}",), ambiguity=hostile)
    blocks = diagnosis_blocks(d, kb=KB, fix=None, ref="p-1")
    assert hostile not in json.dumps(mrkdwn_texts(blocks))
    report = ProbeReport(target=hostile, host=hostile, ports=(PortResult(port=25, status="error", error=hostile),),
                         findings=(Finding(cause="tls_mismatch", detail=hostile),))
    probe = probe_blocks(report, kb=KB)
    assert hostile not in json.dumps(mrkdwn_texts(probe))
    assert "&lt;" in json.dumps(mrkdwn_texts(probe))


def mrkdwn_texts(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "mrkdwn" else []
        return own + [t for v in node.values() for t in mrkdwn_texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in mrkdwn_texts(v)]
    return []


def test_mrkdwn_objects_are_verbatim() -> None:
    blocks = diagnosis_blocks(diagnosis(), kb=KB, fix="1. x", ref="p-1")
    for block in blocks:
        if block["type"] == "section":
            assert block["text"]["verbatim"] is True


def test_not_smtp_says_what_to_paste_and_has_no_buttons() -> None:
    d = Diagnosis(is_smtp=False, causes=(), facts=Facts())
    blocks = diagnosis_blocks(d, kb=KB, fix=None, ref="p-1")
    assert all(b["type"] != "actions" for b in blocks)
    assert "could not find" in json.dumps(blocks)


def test_other_causes_skip_the_shown_one() -> None:
    blocks = other_causes_blocks(diagnosis(), kb=KB, ref="p-1")
    dumped = json.dumps(blocks)
    assert "Wrong username or password" not in dumped
    assert "App password required" in dumped
    validate(blocks)


def test_home_view_and_modal_are_valid_views() -> None:
    home = home_view(KB, {"diagnoses": 3, "probes": 1, "helpful": 2, "not_helpful": 0})
    View(**home).validate_json()
    assert "diagnoses: *3*" in json.dumps(home)
    modal = paste_modal(channel_id="C1")
    View(**modal).validate_json()
    assert json.loads(modal["private_metadata"]) == {"channel": "C1"}


def test_button_values_stay_within_2000() -> None:
    blocks = diagnosis_blocks(diagnosis(), kb=KB, fix=None, ref="p-" + "x" * 3000, probe_target="h")
    for el in blocks[-1]["elements"]:
        assert len(el["value"]) <= BUTTON_VALUE_MAX


def test_provider_and_probe_blocks_are_valid() -> None:
    validate(provider_blocks(KB.providers["gmail"]))
    report = ProbeReport(
        target="smtp.gmail.com", host="smtp.gmail.com", addresses=("192.0.2.1",),
        ports=(PortResult(port=465, status="timeout", tls="none", stage="connect"),
               PortResult(port=587, status="ok", tls="starttls", tls_version="TLSv1.3")),
    )
    validate(probe_blocks(report, kb=KB))


def test_port_table_escapes_server_text_and_keeps_one_line_per_port() -> None:
    report = ProbeReport(target="mail.example", host="mail.example", ports=(
        PortResult(port=587, status="ok", tls="starttls", tls_version="TLSv1.3", greeting_code=220,
                   greeting_text="<!channel> hi & `bye`\nsecond line", auth_after_tls=("PLAIN",),
                   cert=CertInfo(trusted=False, expired=True)),
        PortResult(port=465, status="timeout", tls="none", stage="connect", error="no answer"),
    ))
    table = port_table(report)
    assert "<!channel>" not in table
    assert "&lt;!channel&gt; hi &amp; 'bye' second line" in table
    rows = table.strip("`\n").splitlines()
    assert len(rows) == 3
    assert rows[1].split()[:5] == ["587", "ok", "STARTTLS", "TLSv1.3", "PLAIN"]
    assert "expired" in rows[1]
    assert rows[2].split()[:2] == ["465", "timeout"]
    validate(probe_blocks(report, kb=KB))


def test_button_values_round_trip_through_the_one_protocol_and_foreign_values_read_as_empty() -> None:
    value = ButtonValue(ref="p-1", target="smtp.example.com:587", cause="bad_credentials", thread="171.5")
    assert decode_value(encode_value(value)) == value
    assert encode_value(ButtonValue(ref="p-1")) == '{"r":"p-1"}'
    for foreign in (None, "", "not json", "[1, 2]", '"r"'):
        assert decode_value(foreign) == ButtonValue()
