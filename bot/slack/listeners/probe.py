"""Running a live probe for a listener: rate limits, progress message, errors turned into one line."""

from __future__ import annotations

import logging
from typing import Any

from bot.errors import SmtpHelpError, TargetNotAllowed
from bot.render import blocks as bk
from bot.render.escape import escape_mrkdwn
from bot.slack.services import Services

__all__ = ["PROBES_PER_USER", "PROBES_PER_WORKSPACE", "probe_report"]

log = logging.getLogger(__name__)

PROBES_PER_USER = (5, 600)  # security.md §4.3: 5 probes per user per 10 minutes
PROBES_PER_WORKSPACE = (100, 3600)  # and 100 per workspace per hour


async def probe_report(
    services: Services, *, team_id: str, user_id: str, channel: str, target: str
) -> list[dict[str, Any]]:
    """Probe `target` within the rate limits and return the blocks to show (result or a one-line refusal)."""
    store = services.store
    if not await store.hit_rate_limit(
        f"probe:user:{team_id}:{user_id}", limit=PROBES_PER_USER[0], window_s=PROBES_PER_USER[1]
    ):
        return bk.message_blocks("You have run 5 probes in the last 10 minutes; try again in a few minutes.")
    if not await store.hit_rate_limit(
        f"probe:team:{team_id}", limit=PROBES_PER_WORKSPACE[0], window_s=PROBES_PER_WORKSPACE[1]
    ):
        return bk.message_blocks("This workspace has used its probes for this hour; try again later.")
    safe = escape_mrkdwn(target)
    try:
        report = await services.probe.run(target)
    except TargetNotAllowed as exc:
        return bk.message_blocks(f"I won't probe `{safe}`: {escape_mrkdwn(str(exc))}")
    except SmtpHelpError as exc:
        return bk.message_blocks(f"The probe of `{safe}` could not run: {escape_mrkdwn(str(exc))}")
    except Exception:
        log.exception("probe of %r failed", target)
        return bk.message_blocks(f"The probe of `{safe}` failed unexpectedly; the error is in the bot's log.")
    findings = report.get("findings") or []
    cause = findings[0].get("cause") if findings and isinstance(findings[0], dict) else None
    await store.record_diagnosis(team_id=team_id, channel=channel, cause_id=cause, source="probe")
    return bk.probe_blocks(report, kb=services.kb)
