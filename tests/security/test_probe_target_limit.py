"""One host, many users and spellings: one connection at a time, one probe for concurrent asks, a cap per window
(issue 14 item 9: 8 users probing spellings of one host within a second made 8 connections)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.errors import ProbeError
from bot.probe import runner as runner_module
from bot.probe.report import ProbeReport
from bot.probe.runner import PROBES_PER_TARGET, LocalProbeRunner
from bot.probe.targets import canonical_target
from bot.settings import Settings
from bot.store import MemoryStore

SPELLINGS = ["smtp.example.com", "SMTP.Example.COM", "smtp.example.com.", "smtp.example.com:587",
             "smtp://smtp.example.com:587", "smtp://user:pw@smtp.example.com:587", "Smtp.Example.Com.:587"]


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replace the network probe with one that records each 'connection' and takes a moment."""
    made: list[str] = []

    async def fake_probe_now(settings: Settings, target: str, **kw: Any) -> ProbeReport:
        made.append(target)
        await asyncio.sleep(0.05)
        return ProbeReport(target=target, host=canonical_target(target)[0])

    monkeypatch.setattr(runner_module, "probe_now", fake_probe_now)
    return made


def test_spellings_of_one_target_share_one_key() -> None:
    keys = {canonical_target(s)[1] for s in SPELLINGS if ":" in s}
    hosts = {canonical_target(s)[0] for s in SPELLINGS}
    assert hosts == {"smtp.example.com"}
    assert len(keys) == 1


async def test_concurrent_users_probing_spellings_of_one_host_make_one_connection(connections: list[str]) -> None:
    runner = LocalProbeRunner(Settings(), MemoryStore())
    spelled = [s for s in SPELLINGS if ":" in s] * 2  # 8 asks, all for smtp.example.com:587
    reports = await asyncio.gather(*(runner.run(s) for s in spelled))
    assert len(connections) == 1
    assert {r.host for r in reports} == {"smtp.example.com"}


async def test_a_host_gets_at_most_its_share_of_connections_per_window(connections: list[str]) -> None:
    runner = LocalProbeRunner(Settings(), MemoryStore())
    limit = PROBES_PER_TARGET[0]
    for i in range(limit):  # different options each time: no cache hit, a new connection each
        await runner.run("smtp.example.com:587", ehlo_name=f"probe{i}.example.org")
    with pytest.raises(ProbeError, match="was probed"):
        await runner.run("SMTP.EXAMPLE.COM:587", ehlo_name="one-more.example.org")
    assert len(connections) == limit
    await runner.run("smtp.other-example.com:587")  # another host is not affected
    assert len(connections) == limit + 1
