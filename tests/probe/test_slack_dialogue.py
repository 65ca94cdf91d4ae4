"""The probe's dialogue in Slack: under the port table, failing port first, trimmed, escaped, within the limits."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from slack_sdk.models.blocks import Block

from bot.model import CauseMatch, Diagnosis, Facts, Finding
from bot.probe.dialogue import Dialogue
from bot.probe.report import PortResult, ProbeReport
from bot.render.slack.kit import CUT_NOTE, MAX_BLOCKS, MAX_MESSAGE_JSON, SECTION_MAX
from bot.render.slack.probe import DIALOGUE_LINES, DIALOGUE_MAX, dialogue_block, probe_blocks, probed_answer_blocks
from tests.tinykb import tiny_kb

KB = tiny_kb()


def _ok_dialogue() -> tuple[str, ...]:
    d = Dialogue(465)
    d.note("connected to 192.0.2.10 port 465, TLS handshake")
    d.note("TLS established: TLSv1.3 TLS_AES_256_GCM_SHA384")
    d.reply(220, "mail.example.com ESMTP")
    d.sent(b"EHLO", b"probe.smtp-help.invalid")
    d.reply(250, "mail.example.com\nPIPELINING\nSIZE 35882577\n8BITMIME\nAUTH PLAIN\nENHANCEDSTATUSCODES\nSMTPUTF8")
    d.sent(b"QUIT")
    return d.lines()


def _failing_dialogue() -> tuple[str, ...]:
    d = Dialogue(587)
    d.note("connected to 192.0.2.10 port 587")
    d.reply(220, "mail.example.com ESMTP")
    d.sent(b"EHLO", b"probe.smtp-help.invalid")
    d.reply(250, "mail.example.com\nPIPELINING\nSTARTTLS")
    d.sent("STARTTLS")
    d.reply(220, "2.0.0 Ready to start TLS")
    d.note("the TLS handshake after STARTTLS did not finish within the time-out")
    return d.lines()


def _report(*ports: PortResult) -> ProbeReport:
    return ProbeReport(target="mail.example.com", host="mail.example.com", addresses=("192.0.2.10",), ports=ports)


def _validate(blocks: list[dict[str, object]]) -> None:
    assert len(blocks) <= MAX_BLOCKS
    assert len(json.dumps(blocks)) <= MAX_MESSAGE_JSON
    for block in blocks:
        Block.parse(block).validate_json()
        text = block.get("text")
        if isinstance(text, dict):
            assert len(text["text"]) <= SECTION_MAX


def test_failing_port_comes_first_and_a_long_reply_is_folded() -> None:
    report = _report(PortResult(port=465, status="ok", dialogue=_ok_dialogue()),
                     PortResult(port=587, status="timeout", dialogue=_failing_dialogue()))
    block = dialogue_block(report)
    assert block.startswith("```\nport 587 (timeout)\n")
    assert block.index("587 (timeout)") < block.index("465 (ok)")
    assert "did not finish within the time-out" in block
    assert "-&gt; EHLO probe.smtp-help.invalid" in block  # -> and <- are escaped like any text
    assert "&lt;- 250-mail.example.com" in block
    assert "… 5 more line(s)" in block
    assert "SIZE 35882577" not in block
    ok_lines = block.strip("`\n").split("\nport 465 (ok)\n")[1].splitlines()
    assert len(ok_lines) <= DIALOGUE_LINES
    assert ok_lines[-1].strip() == "-&gt; QUIT"
    blocks = probe_blocks(report, kb=KB)
    _validate(blocks)
    texts = [b["text"]["text"] for b in blocks if b.get("type") == "section"]
    table_at = next(i for i, t in enumerate(texts) if t.startswith("*Ports*"))
    assert texts[table_at + 1].startswith("*What was said*")


def test_a_long_session_keeps_its_start_and_its_end() -> None:
    d = Dialogue(25)
    d.note("connected to 192.0.2.10 port 25")
    d.reply(220, "hi")
    for i in range(20):
        d.sent(f"NOOP {i}")
    d.note("the server closed the connection during NOOP")
    block = dialogue_block(_report(PortResult(port=25, status="error", dialogue=d.lines())))
    lines = [line.strip() for line in block.strip("`\n").splitlines()[1:]]
    assert len(lines) == DIALOGUE_LINES
    assert lines[:3] == ["== connected to 192.0.2.10 port 25", "&lt;- 220 hi", "-&gt; NOOP 0"]
    assert lines[3].startswith("…")
    assert lines[-1] == "== the server closed the connection during NOOP"


def test_hostile_server_text_cannot_mention_link_or_break_the_code_block() -> None:
    d = Dialogue(25)
    d.reply(220, "<!channel> <@U123> <!subteam^S1> <https://evil.example|fix> & ``` \x1b[31m done")
    report = _report(PortResult(port=25, status="error", dialogue=d.lines()))
    block = dialogue_block(report)
    for raw in ("<!channel>", "<@U123>", "<!subteam", "<https://", "\x1b"):
        assert raw not in block
    assert "&lt;!channel&gt; &lt;@U123&gt;" in block
    assert block.count("```") == 2
    _validate(probe_blocks(report, kb=KB))


def test_the_biggest_dialogues_stay_within_slack_limits() -> None:
    def huge(port: int) -> tuple[str, ...]:
        d = Dialogue(port)
        for i in range(200):
            d.reply(500 + i % 50, "<&>" * 100)
            d.sent("X" * 300)
        return d.lines()

    report = _report(*(PortResult(port=p, status="error", error="<&>" * 100, dialogue=huge(p))
                       for p in (25, 465, 587, 2525)))
    block = dialogue_block(report)
    assert len(block) <= DIALOGUE_MAX + 8
    assert "&am\n" not in block  # never half an entity at the cut
    _validate(probe_blocks(report, kb=KB))


def test_an_answer_leaves_the_probe_dialogue_out() -> None:
    """An answer has the paste's own dialogue, and its last blocks (the redacted-secret note) must survive fit()."""
    report = _report(PortResult(port=465, status="ok", dialogue=_ok_dialogue()),
                     PortResult(port=587, status="timeout", dialogue=_failing_dialogue()))
    cause = next(iter(KB.causes))
    d = Diagnosis(is_smtp=True, causes=(CauseMatch(id=cause, confidence=0.9),), facts=Facts(), probe=report)
    blocks = probed_answer_blocks(d, KB)
    assert "EHLO" not in json.dumps(blocks)
    _validate(blocks)


def test_a_long_fix_keeps_its_room_and_the_dialogue_takes_what_is_left() -> None:
    report = _report(*(PortResult(port=p, status="error", error="x", dialogue=_failing_dialogue())
                       for p in (25, 465, 587, 2525)))
    report = dataclasses.replace(report, findings=(Finding(cause=next(iter(KB.causes)), detail="d"),))
    short = probe_blocks(report, kb=KB, fix="1. one step")
    assert any("*What was said*" in json.dumps(b) for b in short)
    fix = "\n".join(f"{i}. " + "a step of the fix " * 12 for i in range(1, 40))  # ~9 KB of fix
    long = probe_blocks(report, kb=KB, fix=fix)
    _validate(long)
    dumped = json.dumps(long)
    assert "How to fix it" in dumped
    assert CUT_NOTE not in dumped or dumped.index("How to fix it") < dumped.index(CUT_NOTE)
    def said(blocks: list[dict[str, Any]]) -> str:
        return next((b["text"]["text"] for b in blocks if "*What was said*" in json.dumps(b)), "")

    assert len(said(long)) < len(said(short))  # smaller, or left out


def test_no_dialogue_no_block() -> None:
    assert dialogue_block(_report(PortResult(port=587, status="ok"))) == ""
