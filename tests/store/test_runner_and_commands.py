"""Probe runners (bot.probe.runner: in-process and arq on real Redis) and the `feedback` / `worker` commands."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
from pathlib import Path
from typing import Any

import pytest

from bot.commands import feedback as command
from bot.commands import worker
from bot.errors import ConfigError
from bot.probe import runner as queue
from bot.probe.report import PortResult, ProbeReport
from bot.probe.runner import ArqProbeRunner, LocalProbeRunner, make_probe_runner
from bot.settings import Settings
from bot.store import MemoryStore, open_store


class FakeProbe:
    """Stands in for bot.probe.run_probe: records calls, returns a small report."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def __call__(self, settings: Settings, target: str, **kw: Any) -> ProbeReport:
        self.calls.append((target, kw))
        return ProbeReport(target=target, host=target,
                           ports=tuple(PortResult(port=p, status="ok") for p in kw.get("ports", [587])))


async def test_local_runner_probes_once_then_serves_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeProbe()
    monkeypatch.setattr(queue, "probe_now", fake)
    runner = make_probe_runner(Settings(), MemoryStore())
    assert isinstance(runner, LocalProbeRunner)
    first = await runner.run("smtp.example.com", ports=[587])
    assert await runner.run("SMTP.example.com", ports=[587]) == first
    assert len(fake.calls) == 1
    await runner.run("smtp.example.com", ports=[465])
    assert len(fake.calls) == 2


@pytest.mark.integration
async def test_arq_runner_spreads_probes_to_a_worker(monkeypatch: pytest.MonkeyPatch, redis_url: str,
                                                     tmp_path: Path) -> None:
    fake = FakeProbe()
    monkeypatch.setattr(worker, "probe_now", fake)
    settings = Settings(database_url=f"sqlite:///{tmp_path}/s.db", redis_url=redis_url, probe_timeout_s=5)
    store = await open_store(settings)
    runner = make_probe_runner(settings, store)
    assert isinstance(runner, ArqProbeRunner)
    w = worker.build_worker(settings, handle_signals=False)
    task = asyncio.create_task(w.async_run())
    try:
        report = await runner.run("smtp.example.com", ports=[587, 465])
        assert [(p.port, p.status) for p in report.ports] == [(587, "ok"), (465, "ok")]
        assert await runner.run("smtp.example.com", ports=[587, 465]) == report  # shared cache
        assert fake.calls == [("smtp.example.com", {"ports": [587, 465]})]
    finally:
        await runner.close()
        await w.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await store.close()


def test_worker_without_redis_url_is_a_clear_config_error() -> None:
    with pytest.raises(ConfigError, match="REDIS_URL"):
        worker.run(argparse.Namespace(burst=True), Settings())


def test_feedback_command_prints_per_cause_figures_and_unhelpful_pastes(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/s.db")

    async def seed() -> None:
        store = await open_store(settings)
        await store.record_diagnosis(team_id="T1", channel="C", cause_id="auth.app_password", source="message")
        await store.record_feedback(team_id="T1", channel="C", user="U", cause_id="auth.app_password",
                                    helpful=False, paste="535 5.7.8 rejected\nMAIL_PASSWORD=hunter2")
        await store.close()

    asyncio.run(seed())
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    out = io.StringIO()
    assert command.run(parser.parse_args([]), settings, out=out) == 0
    text = out.getvalue()
    assert "auth.app_password" in text
    assert "didn't help: 535 5.7.8 rejected" in text
    assert "hunter2" not in text
    out = io.StringIO()
    assert command.run(parser.parse_args(["--json", "--team", "T1"]), settings, out=out) == 0
    data = json.loads(out.getvalue())
    assert data["team_id"] == "T1"
    assert data["causes"][0]["not_helpful"] == 1
