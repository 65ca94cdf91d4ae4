"""The secrets corpus (tests/security/corpus.py: 55 kinds, each alone, after other text on the line, in a code
fence, Slack-escaped and split across lines where the format allows) against every output: the redactor, CLI text
and --json, every Block Kit message and ephemeral the Slack app posts, every log record at DEBUG from every logger,
and every row the SQLite store keeps. Things that only look like secrets (PHPMailer's `[credentials hidden]`,
placeholders) are neither redacted nor reported.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import MetaData, select

from bot.cli import main
from bot.diagnose import diagnose
from bot.kb import KnowledgeBase
from bot.normalize import normalize
from bot.redact import redact
from bot.render.text import render_text
from bot.settings import Settings
from bot.slack.services import Services
from bot.store import open_store
from tests.security.corpus import KINDS, NOT_SECRETS, Case, cases, leaks
from tests.slack.conftest import FakeProbe, Harness, make_settings, real_engine, serve
from tests.slack.fake_slack import FakeSlack

CASES = cases()
IDS = [f"{c.kind}-{c.position}" for c in CASES]


def test_the_corpus_is_broad() -> None:
    assert len(KINDS) >= 40
    assert {c.position for c in CASES} == {"alone", "after_text", "fenced", "slack_escaped", "split"}
    assert len(CASES) >= 200
    assert all(sum(c.kind == k.name for c in CASES) >= 3 for k in KINDS)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_redactor_removes_and_reports_every_secret(case: Case) -> None:
    out = redact(normalize(case.text))
    assert not leaks(out.text, case)
    assert out.kinds, "a redaction that is not reported gets no rotate warning"
    if case.expect:
        assert set(case.expect) & set(out.kinds), out.kinds


@pytest.mark.parametrize("text", NOT_SECRETS)
def test_what_only_looks_like_a_secret_is_left_alone(text: str, kb: KnowledgeBase) -> None:
    out = redact(normalize(text))
    assert out.kinds == ()
    assert "[REDACTED" not in out.text
    assert diagnose(text, kb=kb).facts.secrets == ()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_diagnosis_text_and_json_carry_no_secret(case: Case, kb: KnowledgeBase) -> None:
    d = diagnose(case.text, kb=kb)
    assert not leaks(render_text(d, kb), case)
    assert not leaks(json.dumps(d.to_dict(), ensure_ascii=False), case)
    assert not leaks(json.dumps(d.to_dict()), case)
    assert d.facts.secrets


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_cli_diagnose_text_and_json_carry_no_secret(kind: Any, capsys: pytest.CaptureFixture[str]) -> None:
    group = [c for c in CASES if c.kind == kind.name]
    paste = "\n\n".join(c.text for c in group)  # every position at once: one process start per output format
    for argv in (["diagnose", paste], ["diagnose", "--json", paste]):
        main(argv)
        captured = capsys.readouterr()
        for case in group:
            assert not leaks(captured.out + captured.err, case), (case.position, argv[1])
    assert "secrets_redacted" in captured.out


# ---------------------------------------------------------------------------------------- the Slack app, end to end


@pytest.fixture
async def slack_sqlite(tmp_path: Path) -> AsyncIterator[tuple[Harness, Any]]:
    """The real app, engine and knowledge base over a real SQLite store, on loopback with the fake Web API."""
    fake = FakeSlack()
    await fake.start()
    kb, diagnose_fn, fix_text = real_engine()
    store = await open_store(Settings(database_url=f"sqlite:///{tmp_path / 'smtp-help.db'}"))
    try:
        async with aiohttp.ClientSession() as http:
            services = Services(settings=make_settings(fake), kb=kb, store=store, probe=FakeProbe(),
                                diagnose=diagnose_fn, fix_text=fix_text, http=http)
            async with serve(fake, services, http) as harness:
                yield harness, store
    finally:
        await store.close()
        await fake.stop()


async def _rows(store: Any) -> str:
    """Every row of every table the SQL store keeps, as one string."""
    engine = store.sql.engine if hasattr(store, "sql") else store.engine
    meta = MetaData()
    async with engine.connect() as conn:
        await conn.run_sync(meta.reflect)
        out = []
        for table in meta.sorted_tables:
            for row in (await conn.execute(select(table))).all():
                out.append(json.dumps([str(v) for v in row], ensure_ascii=False))
    return "\n".join(out)


def _channel_message(text: str, n: int) -> dict[str, Any]:
    from tests.slack.conftest import payload

    body = payload("event_message_channel.json")
    ts = f"1355517{n:03d}.000100"
    body["event"].update({"text": text, "ts": ts, "event_ts": ts})
    body["event_id"] = f"EvCorpus{n:04d}"
    return body


async def test_no_secret_reaches_slack_logs_or_the_database(
    slack_sqlite: tuple[Harness, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """Each kind goes in twice, as a channel message (answer in thread + the private rotate note) and as a slash
    command (answer via response_url); then every call to Slack, every DEBUG record and every stored row is
    searched for every form of every secret."""
    harness, store = slack_sqlite
    with caplog.at_level(logging.DEBUG):
        for n, kind in enumerate(KINDS):
            group = [c for c in CASES if c.kind == kind.name]
            paste = "\n\n".join(c.text for c in group if c.position in ("fenced", "slack_escaped", "split"))
            status, _ = await harness.event(_channel_message(paste, n))
            assert status == 200
            status, _ = await harness.command(group[0].text + "\n" + group[-1].text,
                                              response_url=harness.fake.response_url(f"c{n}"))
            assert status == 200
        await harness.settle(timeout=120)
        rows = await _rows(store)
    calls = [json.dumps(call.args, ensure_ascii=False) for call in harness.fake.calls]
    records = [r.getMessage() + (r.exc_text or "") for r in caplog.records]
    warnings = [c for c in harness.fake.of("chat.postEphemeral") if "otate" in json.dumps(c.args)]
    assert len(harness.fake.of("response_url")) == len(KINDS)
    assert len(warnings) == len(KINDS), "every paste with a secret gets the private rotate note"
    assert rows, "the store kept the answered threads"
    for case in CASES:
        for where, outputs in (("Slack call", calls), ("log record", records), ("stored row", [rows])):
            for output in outputs:
                assert not leaks(output, case), f"{case.kind}/{case.position} leaked into a {where}"
