"""Test login's modal submission: close the modal (or say which field is missing), then test in the background.

"Test login" (a button, bot.slack.listeners.actions) and `/smtp-help probe host[:port] --auth` (the command)
open the modal; the check itself is bot.slack.answers.check_login, whose docstring says where the password goes
(one AUTH, never the queue, the cache, the store, a log line or a reply).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.render.slack.login import (
    LOGIN_MODAL_CALLBACK,
    LOGIN_PASSWORD_ACTION,
    LOGIN_PASSWORD_BLOCK,
    LOGIN_USER_ACTION,
    LOGIN_USER_BLOCK,
    PASSWORD_MAX,
    USERNAME_MAX,
)
from bot.slack import answers
from bot.slack.answers import Secret
from bot.slack.parse import view_value
from bot.slack.services import Services

__all__ = ["handle_login_submission", "register"]


def register(app: AsyncApp, services: Services) -> None:
    """Wire the login modal's submission."""

    async def on_submit(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await handle_login_submission(ack=ack, body=body, view=view, client=client, services=services)

    app.view(LOGIN_MODAL_CALLBACK)(on_submit)


def _metadata(view: Mapping[str, Any]) -> tuple[str, str]:
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except (ValueError, TypeError):
        return "", ""
    if not isinstance(meta, dict):
        return "", ""
    return str(meta.get("t") or "")[:255], str(meta.get("c") or "")


async def handle_login_submission(
    *,
    ack: AsyncAck,
    body: Mapping[str, Any],
    view: Mapping[str, Any],
    client: AsyncWebClient,
    services: Services,
) -> None:
    """Close the modal (or say which field is missing), then test the login in the background."""
    services.background.saw_request()
    username = view_value(view, LOGIN_USER_BLOCK, LOGIN_USER_ACTION).strip()[:USERNAME_MAX]
    secret = Secret(view_value(view, LOGIN_PASSWORD_BLOCK, LOGIN_PASSWORD_ACTION)[:PASSWORD_MAX])
    target, channel = _metadata(view)
    errors: dict[str, str] = {}
    if not username:
        errors[LOGIN_USER_BLOCK] = "Enter the SMTP username."
    if not secret:
        errors[LOGIN_PASSWORD_BLOCK] = "Enter the SMTP password."
    if not target:
        errors[LOGIN_USER_BLOCK] = "This form has lost its server; open it again from the answer."
    if errors:
        secret.take()
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    user = str((body.get("user") or {}).get("id") or "")
    team_id = str((body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or "")

    async def check() -> None:
        message = await answers.check_login(services, team_id=team_id, user_id=user, channel=channel, target=target,
                                            username=username, secret=secret)
        await answers.ephemeral_or_dm(client, channel=channel, user=user)(message)

    services.background.spawn(check(), name="login_check")
