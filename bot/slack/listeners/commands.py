"""`/smtp-help`: ack at once, then diagnose (or probe) in the background and answer privately.

Sub-commands: `help`, `probe host[:port]` (`--auth`: the private login test's modal), `provider <id>`,
`channel on|off`; no text opens a paste modal;
anything else is a paste.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.render.escape import escape_mrkdwn
from bot.render.slack.home import help_blocks, paste_modal, provider_blocks
from bot.render.slack.kit import message_blocks
from bot.render.slack.probe import progress_blocks
from bot.slack import replies
from bot.slack.listeners.login import open_login_modal
from bot.slack.listeners.probe import probe_message, run_live_probe
from bot.slack.services import Services
from bot.slack.triage import Command, parse_command

__all__ = ["COMMAND", "handle_command", "register"]

COMMAND = "/smtp-help"


def register(app: AsyncApp, services: Services) -> None:
    """Wire `/smtp-help`."""

    async def on_command(ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient) -> None:
        await handle_command(ack=ack, command=command, client=client, services=services)

    app.command(COMMAND)(on_command)


async def handle_command(
    *, ack: AsyncAck, command: Mapping[str, Any], client: AsyncWebClient, services: Services
) -> None:
    """Ack within Slack's 3 s with what is instant; start whatever is slow in the background."""
    services.background.saw_request()
    cmd = parse_command(str(command.get("text") or ""))
    team_id, channel = str(command.get("team_id") or ""), str(command.get("channel_id") or "")
    if cmd.kind == "help":
        await ack(text="smtp-help usage", blocks=help_blocks())
    elif cmd.kind == "provider":
        await ack(**_provider_answer(services, cmd.arg))
    elif cmd.kind == "channel":
        on = cmd.arg == "on"
        await ack(
            text=(
                "I will answer SMTP pastes in this channel by myself again."
                if on
                else "I will stay quiet in this channel unless someone mentions me or uses /smtp-help."
            )
        )
        services.background.spawn(services.store.set_channel_auto(team_id, channel, on), name="channel_auto")
    elif cmd.kind == "modal":
        await ack()
        services.background.spawn(
            client.views_open(
                trigger_id=command["trigger_id"], view=paste_modal(channel_id=channel or None)
            ),
            name="views_open",
        )
    elif cmd.kind == "login":
        await ack()
        services.background.spawn(
            open_login_modal(
                services, client, trigger_id=str(command.get("trigger_id") or ""), target=cmd.arg, channel=channel
            ),
            name="views_open",
        )
    elif cmd.kind == "probe":
        await ack(text=f"probing {escape_mrkdwn(cmd.arg)}…", blocks=progress_blocks(cmd.arg))
        services.background.spawn(_probe(services, command, cmd), name="command_probe")
    else:
        await ack()
        services.background.spawn(_diagnose(services, command, cmd.arg), name="command_diagnose")


def _provider_answer(services: Services, provider_id: str) -> dict[str, Any]:
    providers = getattr(services.kb, "providers", {})
    provider = providers.get(provider_id)
    if provider is None:
        known = ", ".join(f"`{escape_mrkdwn(p)}`" for p in sorted(providers)) or "none loaded"
        return {
            "text": "Unknown provider",
            "blocks": message_blocks(f"I don't know `{escape_mrkdwn(provider_id)}`. Known: {known}."),
        }
    return {
        "text": f"{getattr(provider, 'name', provider_id)} SMTP settings",
        "blocks": provider_blocks(provider),
    }


async def _diagnose(services: Services, command: Mapping[str, Any], text: str) -> None:
    team_id, channel = str(command.get("team_id") or ""), str(command.get("channel_id") or "")
    d = await replies.diagnose_soon(services, text)
    ref = replies.new_ref() if d.is_smtp and d.top else None
    if ref:
        await replies.remember(services, team_id=team_id, channel=channel, ref=ref, d=d)
    await replies.respond_to(services, command.get("response_url"), replies.answer(services, d, ref=ref))
    await services.store.record_diagnosis(
        team_id=team_id, channel=channel, cause_id=d.top.id if d.top and d.is_smtp else None, source="command"
    )


async def _probe(services: Services, command: Mapping[str, Any], cmd: Command) -> None:
    outcome = await run_live_probe(
        services,
        team_id=str(command.get("team_id") or ""),
        user_id=str(command.get("user_id") or ""),
        channel=str(command.get("channel_id") or ""),
        target=cmd.arg,
    )
    await replies.respond_to(
        services, command.get("response_url"), await probe_message(services, outcome), replace_original=True
    )
