"""`smtp-help serve`: config errors exit 2 in one line; SIGTERM drains and exits 0; manifest matches."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest
import yaml

from bot import cli
from bot.slack import serve
from bot.slack.app import BOT_SCOPES
from bot.slack.listeners.commands import COMMAND
from bot.slack.listeners.shortcuts import SHORTCUT_CALLBACK
from bot.slack.services import Services
from bot.store import MemoryStore
from tests.slack.conftest import FakeProbe, make_settings
from tests.slack.engine import fake_diagnose, fake_fix_text
from tests.slack.fake_slack import FakeSlack
from tests.tinykb import tiny_kb

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


def test_serve_without_credentials_exits_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    assert cli.main(["serve"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "SLACK_BOT_TOKEN" in err[0]


def test_malformed_token_exits_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "not-a-token")
    assert cli.main(["serve"]) == 2
    assert "xoxb-" in capsys.readouterr().err


async def test_stop_drains_background_work_and_returns_0(fake: FakeSlack, unused_tcp_port: int) -> None:
    settings = make_settings(fake)
    services = Services(
        settings=settings,
        kb=tiny_kb(),
        store=MemoryStore(),
        probe=FakeProbe(),
        diagnose=fake_diagnose,
        fix_text=fake_fix_text,
    )
    stop = asyncio.Event()
    server = asyncio.create_task(
        serve.serve(settings, host="127.0.0.1", port=unused_tcp_port, services=services, stop=stop)
    )
    base = f"http://127.0.0.1:{unused_tcp_port}"
    async with aiohttp.ClientSession() as http:
        for _ in range(100):
            try:
                async with http.get(base + "/readyz") as resp:
                    assert resp.status == 200
                    break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.02)
        finished = []

        async def slow() -> None:
            await asyncio.sleep(0.3)
            finished.append(True)

        services.background.spawn(slow(), name="slow")
        stop.set()
        await asyncio.sleep(0.05)
        async with http.get(base + "/readyz") as resp:
            assert resp.status == 503
        assert await asyncio.wait_for(server, 5) == 0
    assert finished == [True]


def test_manifest_matches_the_code() -> None:
    m = yaml.safe_load(MANIFEST.read_text())
    assert m["_metadata"]["major_version"] == 1
    info = m["display_information"]
    assert 1 <= len(info["name"]) <= 35
    assert len(info["description"]) <= 140
    assert 175 <= len(info["long_description"]) <= 4000
    [command] = m["features"]["slash_commands"]
    assert command["command"] == COMMAND
    assert command["should_escape"] is False
    [shortcut] = m["features"]["shortcuts"]
    assert shortcut["callback_id"] == SHORTCUT_CALLBACK
    assert shortcut["type"] == "message"
    assert len(shortcut["name"]) <= 24
    assert set(m["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES)
    assert "user" not in m["oauth_config"]["scopes"]
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    assert m["settings"]["interactivity"]["is_enabled"] is True
    events = set(m["settings"]["event_subscriptions"]["bot_events"])
    assert events == {
        "app_home_opened",
        "app_mention",
        "message.channels",
        "message.groups",
        "message.im",
        "message.mpim",
    }
