"""Slack listeners, one module per feature; `register_all(app, services)` wires every one of them."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.slack.listeners import actions, commands, events, login, messages, shortcuts, views
from bot.slack.services import Services

__all__ = ["register_all"]


def register_all(app: AsyncApp, services: Services) -> None:
    """Register every feature's listeners on `app`."""
    for module in (commands, messages, events, actions, shortcuts, views, login):
        module.register(app, services)
