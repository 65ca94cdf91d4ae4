"""Test login: a private credential check (one AUTH over TLS), asked for in a modal, answered to that user only.

"Test login" (next to "Run live probe") and `/smtp-help probe host[:port] --auth` open the modal; its submission
is acked at once (the modal closes) and the check runs in the background:

    per-user AUTH limit → the probe limits (user, channel, workspace) → bot.probe.run_probe(credentials=…)
    in this process → the report scrubbed of the password → chat.postEphemeral (or a DM)

The password goes one way only, into run_probe's `credentials`. It never goes through `services.probe` (the arq
queue on Redis, and the probe cache whose key JSON-encodes the keyword arguments), nor into the store, a log
line, an exception message or a reply; the reference is dropped as soon as the probe returns. The username may
be echoed back to its owner.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import SmtpHelpError, TargetNotAllowed
from bot.render.escape import escape_mrkdwn
from bot.render.slack.kit import fit
from bot.render.slack.login import (
    LOGIN_MODAL_CALLBACK,
    LOGIN_PASSWORD_ACTION,
    LOGIN_PASSWORD_BLOCK,
    LOGIN_USER_ACTION,
    LOGIN_USER_BLOCK,
    PASSWORD_MAX,
    USERNAME_MAX,
    login_fallback,
    login_header,
    login_modal,
    login_verdict,
)
from bot.slack.listeners.probe import ProbeOutcome, check_probe_limits, probe_message
from bot.slack.services import Services

__all__ = [
    "AUTH_CHECKS_PER_USER",
    "DEFAULT_LOGIN_PORT",
    "Secret",
    "handle_login_submission",
    "login_message",
    "open_login_modal",
    "register",
    "run_login_check",
]

log = logging.getLogger(__name__)

AUTH_CHECKS_PER_USER = (3, 600)  # stricter than probes: the bot must not be a password-guessing service
DEFAULT_LOGIN_PORT = 587  # a target without a port: one AUTH on the submission port, not one per port
IMPLICIT_LOGIN_PORT = 465  # smtps:// without a port


class Secret:
    """A password on its way to one AUTH: hidden from repr/str (so no log line or traceback shows it), and
    emptied when taken, so only the probe call holds it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def take(self) -> str:
        """The password, once; afterwards this holds nothing."""
        value, self._value = self._value, ""
        return value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret(<hidden>)"

    __str__ = __repr__


def register(app: AsyncApp, services: Services) -> None:
    """Wire the login modal's submission (the button is in actions.py, the command in commands.py)."""

    async def on_submit(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await handle_login_submission(ack=ack, body=body, view=view, client=client, services=services)

    app.view(LOGIN_MODAL_CALLBACK)(on_submit)


def _login_port(target: str) -> int | None:
    """Where the one AUTH goes: the target's port, else 465 for smtps://, else 587; None if unreadable."""
    from bot.errors import InputError
    from bot.probe.targets import parse_target  # probe code is imported when it is used, not at start

    try:
        tgt = parse_target(target)
    except InputError:
        return None
    if tgt.port is not None:
        return tgt.port
    return IMPLICIT_LOGIN_PORT if tgt.implicit_tls else DEFAULT_LOGIN_PORT


async def open_login_modal(
    services: Services, client: AsyncWebClient, *, trigger_id: str, target: str, channel: str
) -> None:
    """Open the credential modal for `target` (private to the user who clicked or typed the command)."""
    view = login_modal(
        target=target, port=_login_port(target), channel_id=channel or None, checks_left=AUTH_CHECKS_PER_USER[0]
    )
    await client.views_open(trigger_id=trigger_id, view=view)


def _value(view: Mapping[str, Any], block: str, action: str) -> str:
    values = ((view.get("state") or {}).get("values") or {}).get(block) or {}
    return str((values.get(action) or {}).get("value") or "")


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
    username = _value(view, LOGIN_USER_BLOCK, LOGIN_USER_ACTION).strip()[: USERNAME_MAX]
    secret = Secret(_value(view, LOGIN_PASSWORD_BLOCK, LOGIN_PASSWORD_ACTION)[: PASSWORD_MAX])
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
    services.background.spawn(
        _answer(
            services, client, team_id=team_id, user_id=user, channel=channel, target=target,
            username=username, secret=secret,
        ),
        name="login_check",
    )


def _scrubbed(node: Any, password: str) -> Any:
    """The report with every occurrence of the password replaced, in case a server echoes it back."""
    if isinstance(node, str):
        return node.replace(password, "[REDACTED]")
    if isinstance(node, Mapping):
        return {k: _scrubbed(v, password) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [_scrubbed(v, password) for v in node]
    return node


async def _probe_once(services: Services, target: str, username: str, secret: Secret) -> dict[str, Any]:
    """One probe of one port with the credentials, in this process; the password lives only in this frame."""
    from bot.store.queue import run_probe_dict  # never services.probe: no queue, no cache key, no Redis

    port = _login_port(target)
    password = secret.take()
    report = await run_probe_dict(
        services.settings,
        target,
        ports=(port,) if port is not None else None,
        credentials=(username, password),
        **services.probe_options,
    )
    # a 1-3 character "password" would blank out ordinary words; echoing it inside a server line is no leak
    return _scrubbed(report, password) if len(password) >= 4 else report


async def _refusal(services: Services, *, team_id: str, user_id: str, channel: str) -> str | None:
    """The stricter per-user AUTH limit first, then the limits every probe counts against."""
    if not await services.store.hit_rate_limit(
        f"probe:auth:user:{team_id}:{user_id}", limit=AUTH_CHECKS_PER_USER[0], window_s=AUTH_CHECKS_PER_USER[1]
    ):
        return (
            f"You have tested a login {AUTH_CHECKS_PER_USER[0]} times in the last 10 minutes; wait a few minutes "
            "(failed logins also count towards your provider's lock-out)."
        )
    return await check_probe_limits(services, team_id=team_id, user_id=user_id, channel=channel)


async def run_login_check(
    services: Services, *, team_id: str, user_id: str, channel: str, target: str, username: str, secret: Secret
) -> ProbeOutcome:
    """Test one login within the AUTH and probe limits; failures become a refusal line, never an exception.
    Whatever happens, `secret` is empty when this returns."""
    try:
        refusal = await _refusal(services, team_id=team_id, user_id=user_id, channel=channel)
        if refusal is not None:
            return ProbeOutcome(target=target, refusal=refusal)
        safe = escape_mrkdwn(target)
        try:
            report = await _probe_once(services, target, username, secret)
        except TargetNotAllowed as exc:
            return ProbeOutcome(target=target, refusal=f"I won't probe `{safe}`: {escape_mrkdwn(str(exc))}")
        except SmtpHelpError as exc:  # the probe's own errors name the target, never the credentials
            return ProbeOutcome(
                target=target, refusal=f"The login test of `{safe}` could not run: {escape_mrkdwn(str(exc))}"
            )
        except Exception as exc:
            # Not log.exception: a foreign exception's message or traceback could carry the credentials.
            log.error("login test of %r failed unexpectedly: %s", target, type(exc).__name__)
            return ProbeOutcome(
                target=target,
                refusal=f"The login test of `{safe}` failed unexpectedly; the error is in the bot's log.",
            )
    finally:
        secret.take()
    findings = report.get("findings") or []
    cause = findings[0].get("cause") if findings and isinstance(findings[0], dict) else None
    await services.store.record_diagnosis(team_id=team_id, channel=channel, cause_id=cause, source="probe")
    return ProbeOutcome(target=target, report=report)


async def login_message(services: Services, outcome: ProbeOutcome, *, username: str) -> dict[str, Any]:
    """text + blocks: the verdict first, then the probe's table, findings and the fix for the top finding."""
    message = await probe_message(services, outcome)
    if outcome.report is None:
        return message
    body = list(message["blocks"])
    if body and body[0].get("type") == "header":  # probe_blocks' "Live probe: host"
        body = body[1:]
    blocks = [login_header(outcome.report), login_verdict(outcome.report, username=username), *body]
    return {"text": login_fallback(outcome.report, target=outcome.target), "blocks": fit(blocks)}


async def _answer(
    services: Services,
    client: AsyncWebClient,
    *,
    team_id: str,
    user_id: str,
    channel: str,
    target: str,
    username: str,
    secret: Secret,
) -> None:
    outcome = await run_login_check(
        services, team_id=team_id, user_id=user_id, channel=channel, target=target, username=username,
        secret=secret,
    )
    message = await login_message(services, outcome, username=username)
    try:
        if channel:
            await client.chat_postEphemeral(channel=channel, user=user_id, **message)
            return
    except SlackApiError as exc:  # the user is not in that channel (or it is gone): a DM instead
        log.info("ephemeral login result failed (%s); sending a DM", exc.response.get("error"))
    await client.chat_postMessage(channel=user_id, **message)
