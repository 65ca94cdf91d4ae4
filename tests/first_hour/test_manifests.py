"""manifest.yml (HTTP) and manifest.socket.yml (Socket Mode): each is one Slack accepts, both declare everything the
code listens to and needs, the socket one needs no public URL, and the app picks Socket Mode from the environment."""

from __future__ import annotations

import ast
import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.settings import Settings, with_dotenv
from bot.slack.app import BOT_SCOPES
from bot.slack.listeners.commands import COMMAND
from bot.slack.listeners.shortcuts import SHORTCUT_CALLBACK
from tests.first_hour.slack_manifest_rules import problems

ROOT = Path(__file__).resolve().parents[2]
HTTP, SOCKET = ROOT / "manifest.yml", ROOT / "manifest.socket.yml"
MESSAGE_EVENTS = {"message.channels", "message.groups", "message.im", "message.mpim"}


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


def _events_the_code_listens_to() -> set[str]:
    """The names in every `app.event("…")` call under bot/slack/."""
    names: set[str] = set()
    for path in (ROOT / "bot" / "slack").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "event" \
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                names.add(node.args[0].value)
    return names


def _urls(m: dict[str, Any]) -> list[str]:
    found: list[str] = []

    def walk(x: Any, key: str = "") -> None:
        if isinstance(x, dict):
            for k, v in x.items():
                walk(v, k)
        elif isinstance(x, list):
            for v in x:
                walk(v, key)
        elif key in {"url", "request_url", "redirect_urls", "message_menu_options_url"}:
            found.append(str(x))

    walk(m)
    return found


@pytest.mark.parametrize("path", [HTTP, SOCKET], ids=["http", "socket"])
def test_each_manifest_is_valid_and_declares_what_the_code_uses(path: Path) -> None:
    m = _load(path)
    assert problems(m) == []
    features, settings = m["features"], m["settings"]
    assert [c["command"] for c in features["slash_commands"]] == [COMMAND]
    assert [s["callback_id"] for s in features["shortcuts"]] == [SHORTCUT_CALLBACK]
    assert set(m["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES), \
        f"{path.name} must list bot.slack.app.BOT_SCOPES (change manifest.yml and manifest.socket.yml together)"
    events = set(settings["event_subscriptions"]["bot_events"])
    for name in _events_the_code_listens_to():
        if name == "message":
            assert events >= MESSAGE_EVENTS, f"{path.name}: the message listener needs {sorted(MESSAGE_EVENTS)}"
        else:
            assert name in events, f"{path.name}: the code listens to {name!r}; add it to both manifests"
    assert settings["interactivity"]["is_enabled"] is True  # buttons, modals and the shortcut
    assert features["app_home"]["home_tab_enabled"] is True


def test_socket_manifest_needs_no_public_url_and_differs_only_in_transport() -> None:
    http, sock = _load(HTTP), _load(SOCKET)
    assert sock["settings"]["socket_mode_enabled"] is True
    assert http["settings"]["socket_mode_enabled"] is False
    assert _urls(sock) == []
    assert all(u.startswith("https://") for u in _urls(http)) and len(_urls(http)) == 4  # noqa: PT018
    stripped = copy.deepcopy(http)
    for c in stripped["features"]["slash_commands"]:
        c.pop("url")
    stripped["oauth_config"].pop("redirect_urls")
    stripped["settings"]["event_subscriptions"].pop("request_url")
    stripped["settings"]["interactivity"].pop("request_url")
    stripped["settings"]["socket_mode_enabled"] = True
    assert stripped == sock  # same app otherwise: a change to one manifest must be made to the other


def test_the_rules_catch_what_slack_would_refuse() -> None:
    http = _load(HTTP)
    no_url = copy.deepcopy(http)
    no_url["settings"]["event_subscriptions"].pop("request_url")
    assert any("request_url" in p for p in problems(no_url))  # HTTP mode without a URL cannot work
    bad = copy.deepcopy(_load(SOCKET))
    bad["oauth_config"]["scopes"]["bot"].remove("app_mentions:read")
    bad["features"]["slash_commands"][0]["command"] = "smtp-help"
    bad["settings"]["socket_mode"] = True
    found = problems(bad)
    assert any("app_mentions:read" in p for p in found)
    assert any("starts with /" in p for p in found)
    assert any("unknown key 'socket_mode'" in p for p in found)


def test_socket_mode_is_picked_from_the_environment(tmp_path: Path) -> None:
    socket_env = {"SLACK_BOT_TOKEN": "xoxb-1-2-test", "SLACK_APP_TOKEN": "xapp-1-A1-2-test"}
    assert Settings.from_env(socket_env).slack_mode == "socket"  # no signing secret needed in Socket Mode
    assert Settings.from_env({**socket_env, "SLACK_SIGNING_SECRET": "s"}).slack_mode == "socket"
    assert Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1-2-test", "SLACK_SIGNING_SECRET": "s"}).slack_mode == "http"
    assert Settings.from_env({}).slack_mode == "console"
    dotenv = tmp_path / ".env"
    dotenv.write_text("SLACK_BOT_TOKEN=xoxb-1-2-test\nSLACK_APP_TOKEN=xapp-1-A1-2-test\n")
    assert Settings.from_env(with_dotenv({}, dotenv)).slack_mode == "socket"
    serve_source = (ROOT / "bot" / "slack" / "serve.py").read_text()
    assert 'settings.slack_mode == "socket"' in serve_source
    assert "SocketModeHandler(app, settings.slack_app_token)" in serve_source
