"""Running a live probe for a listener: rate limits, errors turned into one line, and the answer it leads to.

A probe that ran feeds the diagnosis: with a paste (or a triage thread's text) the paste is diagnosed again
with the probe's findings (`diagnose(text, kb=kb, probe=ProbeReport)`), so the answer shows the merged ranking
with "live probe: …" evidence and the per-port table; with no paste (`/smtp-help probe host`) the answer is the
table, the findings mapped to cause titles, and the fix for the top finding.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.errors import SmtpHelpError, TargetNotAllowed
from bot.render.escape import escape_mrkdwn
from bot.render.slack.kit import message_blocks
from bot.render.slack.probe import probe_blocks
from bot.slack import replies
from bot.slack.services import Services

__all__ = [
    "PROBES_PER_CHANNEL",
    "PROBES_PER_USER",
    "PROBES_PER_WORKSPACE",
    "ProbeOutcome",
    "check_probe_limits",
    "diagnose_with_last_probe",
    "probe_message",
    "remember_probe",
    "run_live_probe",
]

log = logging.getLogger(__name__)

PROBES_PER_USER = (5, 600)  # security.md §4.3: 5 probes per user per 10 minutes
PROBES_PER_CHANNEL = (20, 3600)  # 20 per channel per hour
PROBES_PER_WORKSPACE = (100, 3600)  # and 100 per workspace per hour
LAST_PROBE_TTL_S = 300  # the other buttons of a probed answer keep the probe's evidence this long (probe cache TTL)


@dataclass(frozen=True, kw_only=True)
class ProbeOutcome:
    """What came of asking for a probe: the report dict (ProbeReport.to_dict()) or a one-line refusal."""

    target: str
    report: dict[str, Any] | None = None
    refusal: str | None = None  # trusted mrkdwn, user text already escaped


async def check_probe_limits(services: Services, *, team_id: str, user_id: str, channel: str) -> str | None:
    """Count one probe against the user, channel and workspace limits; a one-line refusal when one is spent.

    The limits are checked in this order, and each one passed counts the attempt (fixed windows in the store,
    so every instance shares them).
    A probe with no channel counts against the user and the workspace only.
    """
    store = services.store
    if not await store.hit_rate_limit(
        f"probe:user:{team_id}:{user_id}", limit=PROBES_PER_USER[0], window_s=PROBES_PER_USER[1]
    ):
        return f"You have run {PROBES_PER_USER[0]} probes in the last 10 minutes; try again in a few minutes."
    if channel and not await store.hit_rate_limit(
        f"probe:channel:{team_id}:{channel}", limit=PROBES_PER_CHANNEL[0], window_s=PROBES_PER_CHANNEL[1]
    ):
        return f"This channel has run {PROBES_PER_CHANNEL[0]} probes in the last hour; try again later."
    if not await store.hit_rate_limit(
        f"probe:team:{team_id}", limit=PROBES_PER_WORKSPACE[0], window_s=PROBES_PER_WORKSPACE[1]
    ):
        return "This workspace has used its probes for this hour; try again later."
    return None


async def run_live_probe(
    services: Services, *, team_id: str, user_id: str, channel: str, target: str
) -> ProbeOutcome:
    """Probe `target` within the rate limits; failures become a refusal line, never an exception."""
    store = services.store
    refusal = await check_probe_limits(services, team_id=team_id, user_id=user_id, channel=channel)
    if refusal is not None:
        return ProbeOutcome(target=target, refusal=refusal)
    safe = escape_mrkdwn(target)
    try:
        report = await services.probe.run(target, **services.probe_options)
    except TargetNotAllowed as exc:
        return ProbeOutcome(target=target, refusal=f"I won't probe `{safe}`: {escape_mrkdwn(str(exc))}")
    except SmtpHelpError as exc:
        return ProbeOutcome(target=target, refusal=f"The probe of `{safe}` could not run: {escape_mrkdwn(str(exc))}")
    except Exception:
        log.exception("probe of %r failed", target)
        return ProbeOutcome(
            target=target, refusal=f"The probe of `{safe}` failed unexpectedly; the error is in the bot's log."
        )
    findings = report.get("findings") or []
    cause = findings[0].get("cause") if findings and isinstance(findings[0], dict) else None
    await store.record_diagnosis(team_id=team_id, channel=channel, cause_id=cause, source="probe")
    return ProbeOutcome(target=target, report=report)


def _report_object(report: dict[str, Any]) -> Any:
    """ProbeReport.from_dict(report), or None when the dict is not one (logged; the table still shows)."""
    from bot.probe.report import ProbeReport  # probe code is imported when a probe has run, not at start

    try:
        return ProbeReport.from_dict(report)
    except (KeyError, TypeError, ValueError):
        log.exception("probe report could not be read back; showing it without merging")
        return None


def _last_probe_key(team_id: str, channel: str, ref: str) -> str:
    return f"probe-for:{team_id}:{channel}:{ref}"


async def remember_probe(services: Services, *, team_id: str, channel: str, ref: str, report: dict[str, Any]) -> None:
    """Keep the report a paste was last probed with, so its other buttons show the same merged ranking."""
    await services.store.probe_cache_put(_last_probe_key(team_id, channel, ref), report, ttl_s=LAST_PROBE_TTL_S)


async def diagnose_with_last_probe(services: Services, *, team_id: str, channel: str, ref: str, text: str) -> Any:
    """Diagnose a remembered paste, with the findings of its last probe when one ran in the last few minutes."""
    report = await services.store.probe_cache_get(_last_probe_key(team_id, channel, ref))
    probe = _report_object(report) if report else None
    return await replies.diagnose_soon(services, text, probe=probe)


async def probe_message(
    services: Services, outcome: ProbeOutcome, *, text: str | None = None, ref: str | None = None
) -> dict[str, Any]:
    """text + blocks for a finished probe: merged with the paste `text` when there is one (buttons use `ref`)."""
    title = f"probe of {escape_mrkdwn(outcome.target)}"
    if outcome.report is None:
        return {"text": title, "blocks": message_blocks(outcome.refusal or "The probe did not run.")}
    report = _report_object(outcome.report)
    if text and report is not None:
        d = await replies.diagnose_soon(services, text, probe=report)
        if d.is_smtp and d.top:
            return replies.answer(services, d, ref=ref, probe=outcome.report)
    fix = None
    decisive = [f for f in report.findings if f.decisive] if report is not None else []
    if decisive:
        top = decisive[0].cause
        try:
            d = await replies.diagnose_soon(services, outcome.target, probe=report)
            fix = services.fix_text(d, services.kb, top, mrkdwn=True)
        except Exception:  # a broken fix template must not cost the user the probe result
            log.exception("fix text for probe finding %s failed", top)
    return {"text": title, "blocks": probe_blocks(outcome.report, kb=services.kb, fix=fix)}
