"""Shell helpers the listeners share: diagnose off the ack path, remember pastes for buttons, post answers.

Buttons carry a short reference, never the paste: the (redacted) paste is kept in the store as a ThreadContext
keyed by (team, channel, ref). In a channel thread the ref is the thread's ts (so the triage context and the
buttons agree); for private answers it is a fresh "p-…" id.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.model import Diagnosis
from bot.probe.choose import probe_target
from bot.render.slack.answer import diagnosis_blocks, diagnosis_fallback
from bot.slack.services import Services
from bot.store import ThreadContext

__all__ = [
    "THREAD_TEXT_MAX",
    "answer",
    "diagnose_soon",
    "load_paste",
    "new_ref",
    "remember",
    "respond_to",
    "titles",
]

log = logging.getLogger(__name__)

THREAD_TEXT_MAX = 12_000  # accumulated thread text kept for re-diagnosis (the most recent part wins)


def new_ref() -> str:
    """A fresh reference for a private answer's paste."""
    return "p-" + secrets.token_hex(8)


async def diagnose_soon(services: Services, text: str, *, probe: Any = None) -> Diagnosis:
    """Diagnose after pending acks have gone out (CPU work yields to Slack's 3-second clock)."""
    await services.background.quiet()
    return services.run_diagnosis(text, probe=probe)


async def remember(
    services: Services,
    *,
    team_id: str,
    channel: str,
    ref: str,
    d: Diagnosis,
    text: str | None = None,
    last_causes: Sequence[str] | None = None,
    reply_ts: str | None = None,
) -> None:
    """Keep the redacted paste (and the causes shown) under `ref` for the buttons and for triage updates."""
    body = (text if text is not None else d.text)[-THREAD_TEXT_MAX:]
    causes = tuple(last_causes) if last_causes is not None else tuple(c.id for c in d.causes)
    await services.store.put_thread(
        ThreadContext(
            team_id=team_id, channel=channel, thread_ts=ref, text=body, last_causes=causes, reply_ts=reply_ts
        )
    )


async def load_paste(services: Services, *, team_id: str, channel: str, ref: str) -> ThreadContext | None:
    """The paste a button refers to, or None when it has expired."""
    if not ref:
        return None
    ctx: ThreadContext | None = await services.store.get_thread(team_id, channel, ref)
    return ctx


def titles(services: Services) -> dict[str, str]:
    """Cause id -> title from the knowledge base."""
    return {cid: str(getattr(c, "title", cid)) for cid, c in getattr(services.kb, "causes", {}).items()}


def answer(
    services: Services,
    d: Diagnosis,
    *,
    ref: str | None,
    cause_id: str | None = None,
    changes: Sequence[str] = (),
    share: bool = True,
    intro: str | None = None,
    share_thread: str | None = None,
    probe: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """chat.postMessage / response_url arguments (text + blocks) for a diagnosis (`probe`: the report dict
    `d` was diagnosed with, shown as the ranking with probe evidence and the per-port table)."""
    shown = cause_id or (d.top.id if d.top else None)
    fix = None
    if shown and d.is_smtp:
        try:
            fix = services.fix_text(d, services.kb, shown, mrkdwn=True)
        except Exception:  # a broken fix template must not cost the user the diagnosis itself
            log.exception("fix text for %s failed", shown)
            fix = "_The fix steps for this cause could not be rendered; the error is in the bot's log._"
    blocks = diagnosis_blocks(
        d,
        kb=services.kb,
        fix=fix,
        cause_id=cause_id,
        ref=ref,
        probe_target=probe_target(d, services.kb) if ref else None,
        changes=changes,
        share=share,
        intro=intro,
        share_thread=share_thread,
        probe=probe,
    )
    return {"text": diagnosis_fallback(d, services.kb, cause_id), "blocks": blocks}


async def respond_to(
    services: Services,
    response_url: str | None,
    message: Mapping[str, Any],
    *,
    response_type: str = "ephemeral",
    replace_original: bool = False,
    thread_ts: str | None = None,
) -> bool:
    """POST a message to a payload's response_url (shared HTTP session); False when Slack refused it."""
    if not response_url:
        return False
    payload: dict[str, Any] = {
        **message,
        "response_type": response_type,
        "replace_original": replace_original,
    }
    if thread_ts:
        payload["thread_ts"] = thread_ts
    try:
        resp = await AsyncWebhookClient(response_url, session=services.http).send_dict(payload)
    except Exception:
        log.exception("response_url post failed")
        return False
    if resp.status_code != 200:
        log.warning("response_url answered %s: %s", resp.status_code, resp.body[:200])
        return False
    return True
