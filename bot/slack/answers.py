"""The Slack use-cases, in one room: diagnose → remember → answer → post → record, a live probe, a login test.

Listeners ack, run their guard clauses and call one verb here; nothing here parses a Slack payload.

    answer_paste(services, where, post, …)   every paste, from every entry point (command, channel message, DM,
                                             thread, mention, shortcut, modal): one function
    update_thread(services, ctx, d, …)       a new reply in a triage thread: post only when the answer changed
    reanswer(services, paste, …)             a button on an answer (share, show fix, other causes, feedback)
    probe_and_answer(services, …)            Run live probe and /smtp-help probe: limits, the probe, the answer
    check_login(services, …)                 the private login test (one AUTH over TLS)

Buttons carry a short reference, never the paste: the (redacted) paste is kept in the store as a ThreadContext
keyed by (team, channel, ref). In a channel thread the ref is the thread's ts (so the triage context and the
buttons agree); for private answers it is a fresh "p-…" id. Beside it, a ThreadState (bot.slack.threads) keeps
the causes whose fix the thread reported as not working and the last live probe's report: later replies walk
on to causes not tried yet, and the probe's findings join the thread's answers and the answer's buttons while
they are fresh (threads.PROBE_FRESH_S, 30 minutes).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.errors import InputError, SmtpHelpError, TargetNotAllowed
from bot.model import CauseMatch, Diagnosis, Evidence, Facts
from bot.probe.choose import probe_target
from bot.probe.report import ProbeReport
from bot.probe.runner import probe_now
from bot.probe.targets import parse_target
from bot.render.escape import escape_mrkdwn
from bot.render.names import cause_titles
from bot.render.slack.answer import diagnosis_message
from bot.render.slack.kit import context, fit, message_blocks
from bot.render.slack.login import login_fallback, login_header, login_modal, login_verdict
from bot.render.slack.probe import probe_blocks, progress_blocks
from bot.render.slack.style import styled
from bot.slack.services import Services
from bot.slack.threads import ThreadState, ThreadUpdate, thread_update
from bot.store import ThreadContext
from bot.store.base import DEFAULT_THREAD_RETENTION_S
from bot.text import keep_ends

__all__ = [
    "AUTH_CHECKS_PER_USER",
    "DEFAULT_LOGIN_PORT",
    "PROBES_PER_CHANNEL",
    "PROBES_PER_USER",
    "PROBES_PER_WORKSPACE",
    "RESPONSE_URL_FAILED",
    "THREAD_TEXT_MAX",
    "Post",
    "Posted",
    "ProbeOutcome",
    "Secret",
    "Where",
    "answer_message",
    "answer_paste",
    "check_login",
    "check_probe_limits",
    "diagnose_soon",
    "ephemeral_or_dm",
    "in_channel",
    "in_thread",
    "load_paste",
    "load_state",
    "login_port",
    "login_view",
    "mark_tried",
    "new_ref",
    "probe_and_answer",
    "probe_button",
    "probe_command",
    "reanswer",
    "remember",
    "respond_to",
    "to_response_url",
    "update_thread",
]

log = logging.getLogger(__name__)

THREAD_TEXT_MAX = 12_000  # accumulated thread text kept for re-diagnosis (the most recent part wins)
PROBES_PER_USER = (5, 600)  # security.md §4.3: 5 probes per user per 10 minutes
PROBES_PER_CHANNEL = (20, 3600)  # 20 per channel per hour
PROBES_PER_WORKSPACE = (100, 3600)  # and 100 per workspace per hour
AUTH_CHECKS_PER_USER = (3, 600)  # stricter than probes: the bot must not be a password-guessing service
DEFAULT_LOGIN_PORT = 587  # a target without a port: one AUTH on the submission port, not one per port
IMPLICIT_LOGIN_PORT = 465  # smtps:// without a port


# ------------------------------------------------------------------------------------------- diagnose, remember


def new_ref() -> str:
    """A fresh reference for a private answer's paste."""
    return "p-" + secrets.token_hex(8)


async def diagnose_soon(services: Services, text: str, *, probe: ProbeReport | None = None) -> Diagnosis:
    """Diagnose after pending acks have gone out, in a worker thread: a 40 KB paste costs milliseconds of CPU
    (normalise, redact, extract, classify) that must not hold up /healthz or another request's ack."""
    await services.background.quiet()
    return await asyncio.to_thread(services.run_diagnosis, text, probe=probe)


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
    body = keep_ends(text if text is not None else d.text, head=0, tail=THREAD_TEXT_MAX, marker="")
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
    return await services.store.get_thread(team_id, channel, ref)


def _state_key(team_id: str, channel: str, ref: str) -> str:
    return f"thread-state:{team_id}:{channel}:{ref}"


async def load_state(services: Services, paste: ThreadContext) -> ThreadState:
    """What the thread of `paste` remembers besides its text (empty when nothing, or unreadable)."""
    return ThreadState.from_doc(await services.store.probe_cache_get(
        _state_key(paste.team_id, paste.channel, paste.thread_ts)))


async def _save_state(services: Services, paste: ThreadContext, state: ThreadState) -> None:
    # kept as long as the thread's text (the store's thread retention); the store's JSON key-value with a TTL
    await services.store.probe_cache_put(_state_key(paste.team_id, paste.channel, paste.thread_ts),
                                         state.to_doc(), ttl_s=DEFAULT_THREAD_RETENTION_S)


async def mark_tried(services: Services, paste: ThreadContext, cause_id: str) -> None:
    """Remember that the fix for `cause_id` did not help in this thread ("Didn't help")."""
    state = await load_state(services, paste)
    if cause_id not in state.tried:
        await _save_state(services, paste, state.with_tried(cause_id))


async def _fresh_probe(services: Services, state: ThreadState) -> ProbeReport | None:
    if state.probe is None or not state.probe_fresh(services.clock()):
        return None
    try:
        return ProbeReport.from_dict(dict(state.probe))
    except SmtpHelpError:
        log.warning("a remembered probe report could not be read back; answering without it")
        return None


# ------------------------------------------------------------------------------------------------- answer, post


def answer_message(
    services: Services,
    d: Diagnosis,
    *,
    ref: str | None,
    cause_id: str | None = None,
    changes: Sequence[str] = (),
    share: bool = True,
    intro: str | None = None,
    share_thread: str | None = None,
) -> dict[str, Any]:
    """chat.postMessage / response_url arguments (text + blocks) for a diagnosis; a probed one (`d.probe`) shows
    the ranking with the probe's evidence and the per-port table."""
    shown = cause_id or (d.top.id if d.top else None)
    fix = None
    if shown and d.is_smtp:
        try:
            fix = services.fix_text(d, services.kb, shown, mrkdwn=True)
        except Exception:  # a broken fix template must not cost the user the diagnosis itself
            log.exception("fix text for %s failed", shown)
            fix = "_The fix steps for this cause could not be rendered; the error is in the bot's log._"
    return diagnosis_message(d, kb=services.kb, fix=fix, cause_id=cause_id, ref=ref,
                             probe_target=probe_target(d, services.kb) if ref else None, changes=changes, share=share,
                             intro=intro, share_thread=share_thread)


@dataclass(frozen=True)
class Posted:
    """Where a message landed: its channel (a DM when an ephemeral answer could not go out) and its ts."""

    channel: str | None = None
    ts: str | None = None


Post = Callable[[Mapping[str, Any]], Awaitable[Posted]]


@dataclass(frozen=True, kw_only=True)
class Where:
    """Where a paste came from and how its answer is kept: the workspace, the channel, the answer's reference
    (a thread's ts, or None for a fresh private one), the stats source, and whether the answer may be shared."""

    team_id: str
    channel: str
    source: str  # one of bot.store SOURCES
    ref: str | None = None
    share: bool = True
    share_thread: str | None = None


def in_thread(client: AsyncWebClient, *, channel: str, thread_ts: str) -> Post:
    """Post in a channel thread (links not unfurled)."""

    async def post(message: Mapping[str, Any]) -> Posted:
        resp = await client.chat_postMessage(channel=channel, thread_ts=thread_ts, unfurl_links=False,
                                             unfurl_media=False, **message)
        return Posted(ts=resp.get("ts"))

    return post


def in_channel(client: AsyncWebClient, *, channel: str) -> Post:
    """Post in a conversation (a DM with the app), links not unfurled."""

    async def post(message: Mapping[str, Any]) -> Posted:
        await client.chat_postMessage(channel=channel, unfurl_links=False, unfurl_media=False, **message)
        return Posted()

    return post


RESPONSE_URL_FAILED = ("_Slack did not take this answer through its reply link (the link may have expired), so "
                       "it comes to you this way._")


def to_response_url(services: Services, response_url: str | None, *, fallback: Post | None = None) -> Post:
    """Answer privately through a payload's response_url (commands, shortcuts). When Slack refuses that post
    (an expired or used link, a network error), the answer goes through `fallback` (an ephemeral message or a
    DM) with one line saying why; respond_to has logged the failure in one line."""

    async def post(message: Mapping[str, Any]) -> Posted:
        if await respond_to(services, response_url, message) or fallback is None:
            return Posted()
        blocks = [context(RESPONSE_URL_FAILED), *(message.get("blocks") or ())]
        try:
            return await fallback({**message, "blocks": fit(blocks)})
        except SlackApiError as exc:
            log.warning("the private answer could not be sent either: %s", exc.response.get("error"))
            return Posted()

    return post


def ephemeral_or_dm(client: AsyncWebClient, *, channel: str, user: str) -> Post:
    """Post privately: an ephemeral message in `channel`, or a DM when that fails (the user is not in it)."""

    async def post(message: Mapping[str, Any]) -> Posted:
        try:
            if channel:
                await client.chat_postEphemeral(channel=channel, user=user, **message)
                return Posted(channel=channel)
        except SlackApiError as exc:
            log.info("ephemeral answer failed (%s); sending a DM", exc.response.get("error"))
        return Posted(channel=str((await client.chat_postMessage(channel=user, **message)).get("channel") or user))

    return post


async def answer_paste(
    services: Services,
    where: Where,
    post: Post,
    *,
    text: str | None = None,
    d: Diagnosis | None = None,
    cause_id: str | None = None,
    changes: Sequence[str] = (),
    memory: str | None = None,
) -> Diagnosis:
    """The one path from a paste to its answer: diagnose (unless `d` is given), render, post, remember the
    paste under the answer's reference, record the answer. `memory` is the text to keep (a thread's whole text;
    default the redacted paste)."""
    if d is None:
        d = await diagnose_soon(services, text or "")
    answerable = bool(d.is_smtp and d.top)
    ref = (where.ref or new_ref()) if answerable else None
    message = answer_message(services, d, ref=ref, cause_id=cause_id, changes=changes, share=where.share,
                             share_thread=where.share_thread)
    posted = await post(message)
    channel = posted.channel or where.channel
    shown = (cause_id or d.top.id) if answerable and d.top else None
    if ref and shown:
        others = tuple(c.id for c in d.causes if c.id != shown)
        await remember(services, team_id=where.team_id, channel=channel, ref=ref, d=d, text=memory,
                       last_causes=(shown, *others), reply_ts=posted.ts)
    await services.store.record_diagnosis(team_id=where.team_id, channel=channel, cause_id=shown,
                                          source=where.source)
    return d


async def update_thread(services: Services, ctx: ThreadContext, d: Diagnosis, text: str, post: Post) -> None:
    """Re-diagnose a triage thread with a new reply; post only when the answer changed, else just remember.

    The thread's state (bot.slack.threads.ThreadState) carries what earlier replies established: the causes
    whose fix was reported not to work (never shown again while an untried cause fits) and the last live probe,
    whose findings join the diagnosis while fresh (threads.PROBE_FRESH_S)."""
    combined = f"{ctx.text}\n{d.text}"
    state = await load_state(services, ctx)
    probe = await _fresh_probe(services, state)
    # The thread so far is diagnosed again rather than stored: only redacted text is kept, never a Diagnosis.
    before = await diagnose_soon(services, ctx.text, probe=probe)
    after = await diagnose_soon(services, combined, probe=probe)
    update: ThreadUpdate | None = thread_update(before=before, after=after, reply=d, reply_text=text,
                                                last_causes=ctx.last_causes, titles=cause_titles(services.kb),
                                                tried=state.tried)
    if update is None:
        await remember(services, team_id=ctx.team_id, channel=ctx.channel, ref=ctx.thread_ts, d=after,
                       text=combined, last_causes=ctx.last_causes, reply_ts=ctx.reply_ts)
        return
    if update.tried != state.tried:
        await _save_state(services, ctx, state.with_tried(*update.tried))
    changes = list(update.changes)
    if state.probe is not None and probe is None:
        minutes = max(1, int((services.clock() - state.probe_at) // 60))
        changes.append(f"the live probe from {minutes} minutes ago is too old to trust now, so it is left out: "
                       "run it again")
    if update.exhausted:
        await _ask_for_the_error(services, ctx, combined, update, post)
        return
    where = Where(team_id=ctx.team_id, channel=ctx.channel, source="thread", ref=ctx.thread_ts, share=False)
    await answer_paste(services, where, post, d=after, memory=combined, changes=changes,
                       cause_id=None if after.top and update.cause_id == after.top.id else update.cause_id)


async def _ask_for_the_error(services: Services, ctx: ThreadContext, combined: str, update: ThreadUpdate,
                             post: Post) -> None:
    """Every ranked cause has been tried: say so, and ask for the error the app shows now."""
    titles = cause_titles(services.kb)
    tried = "\n".join(f"• {escape_mrkdwn(titles.get(c, c))}" for c in update.tried[:10])
    text = ("*Every cause that fits this thread has been tried*\n" + tried + "\n"
            "Paste the error the app shows *now* (the whole line, with its reply code, e.g. `535 5.7.8 …`) or the "
            "SMTP log of one attempt, and I will read it again.")
    posted = await post({"text": "Every cause that fits has been tried: paste the current error",
                         "blocks": message_blocks(text)})
    await services.store.put_thread(ThreadContext(
        team_id=ctx.team_id, channel=ctx.channel, thread_ts=ctx.thread_ts,
        text=keep_ends(combined, head=0, tail=THREAD_TEXT_MAX, marker=""), last_causes=ctx.last_causes,
        reply_ts=posted.ts or ctx.reply_ts))


async def reanswer(services: Services, paste: ThreadContext) -> Diagnosis:
    """A remembered paste diagnosed again for a button, with its last probe's findings while they are fresh."""
    report = await _fresh_probe(services, await load_state(services, paste))
    return await diagnose_soon(services, paste.text, probe=report)


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
    payload: dict[str, Any] = {**message, "response_type": response_type, "replace_original": replace_original}
    if thread_ts:
        payload["thread_ts"] = thread_ts
    try:
        resp = await AsyncWebhookClient(response_url, session=services.http).send_dict(payload)
    except Exception as exc:  # a network error, a bad URL: one line, no traceback, no URL (it is a credential)
        log.warning("response_url post failed (%s)", type(exc).__name__)
        return False
    if resp.status_code != 200:
        log.warning("response_url answered %s: %s", resp.status_code, (resp.body or "")[:200])
        return False
    return True


# ------------------------------------------------------------------------------------------------------- probe


@dataclass(frozen=True, kw_only=True)
class ProbeOutcome:
    """What came of asking for a probe: its report, or a one-line refusal."""

    target: str
    report: ProbeReport | None = None
    refusal: str | None = None  # trusted mrkdwn, user text already escaped


async def check_probe_limits(services: Services, *, team_id: str, user_id: str, channel: str) -> str | None:
    """Count one probe against the user, channel and workspace limits; a one-line refusal when one is spent.

    The limits are checked in this order, and each one passed counts the attempt (fixed windows in the store,
    so every instance shares them). A probe with no channel counts against the user and the workspace only.
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


async def _guarded(target: str, what: str, run: Callable[[], Awaitable[ProbeReport]], *,
                   log_details: bool) -> ProbeOutcome:
    """Run a probe; the probe's own errors become a refusal line, anything else is logged and said in one line."""
    safe = escape_mrkdwn(target)
    try:
        return ProbeOutcome(target=target, report=await run())
    except TargetNotAllowed as exc:
        return ProbeOutcome(target=target, refusal=f"I won't probe `{safe}`: {escape_mrkdwn(str(exc))}")
    except SmtpHelpError as exc:  # the probe's own errors name the target, never credentials
        return ProbeOutcome(target=target, refusal=f"The {what} of `{safe}` could not run: {escape_mrkdwn(str(exc))}")
    except Exception as exc:
        if log_details:
            log.exception("%s of %r failed", what, target)
        else:  # a foreign exception's message or traceback could carry the credentials
            log.error("%s of %r failed unexpectedly: %s", what, target, type(exc).__name__)
        return ProbeOutcome(
            target=target, refusal=f"The {what} of `{safe}` failed unexpectedly; the error is in the bot's log."
        )


async def _record_probe(services: Services, outcome: ProbeOutcome, *, team_id: str, channel: str) -> None:
    if outcome.report is not None:
        findings = outcome.report.findings
        await services.store.record_diagnosis(team_id=team_id, channel=channel,
                                              cause_id=findings[0].cause if findings else None, source="probe")


async def probe_and_answer(
    services: Services, *, team_id: str, user_id: str, channel: str, target: str,
    paste: ThreadContext | None = None,
) -> dict[str, Any]:
    """Run live probe / `/smtp-help probe host`: the limits, the probe (through the runner and its cache), and
    the message: merged with the paste when there is one (its buttons keep the probe), else the probe alone."""
    refusal = await check_probe_limits(services, team_id=team_id, user_id=user_id, channel=channel)
    if refusal is not None:
        outcome = ProbeOutcome(target=target, refusal=refusal)
    else:
        outcome = await _guarded(target, "probe", lambda: services.probe.run(target, **services.probe_options),
                                 log_details=True)
    report = outcome.report
    if report is not None:
        doc = report.to_dict() if paste is not None else None
        await _record_probe(services, outcome, team_id=team_id, channel=channel)
        if paste is not None and doc is not None:  # the thread remembers it: later replies and buttons reuse it
            state = await load_state(services, paste)
            await _save_state(services, paste, ThreadState(tried=state.tried, probe=doc, probe_at=services.clock()))
            d = await diagnose_soon(services, paste.text, probe=report)
            if d.is_smtp and d.top:
                return answer_message(services, d, ref=paste.thread_ts)
    return await _probe_message(services, outcome)


async def probe_command(
    services: Services, *, team_id: str, user_id: str, channel: str, target: str, response_url: str | None
) -> None:
    """`/smtp-help probe host`: the probe alone, replacing the command's "probing…" answer."""
    message = await probe_and_answer(services, team_id=team_id, user_id=user_id, channel=channel, target=target)
    await respond_to(services, response_url, message, replace_original=True)


async def probe_button(
    services: Services, client: AsyncWebClient, *, team_id: str, user_id: str, channel: str, target: str, ref: str,
    response_url: str | None, thread_ts: str | None,
) -> None:
    """The Run live probe button: a progress message (the private answer replaced in place, or a reply in the
    thread), the probe merged with the remembered paste, and the progress message updated with the result."""
    progress: dict[str, Any] = {"text": f"probing {escape_mrkdwn(target)}…", "blocks": progress_blocks(target)}
    if thread_ts is None:  # a private answer: replace it in place
        await respond_to(services, response_url, progress, replace_original=True)
    else:
        posted = await client.chat_postMessage(channel=channel, thread_ts=thread_ts, **progress)
    paste = await load_paste(services, team_id=team_id, channel=channel, ref=ref)
    message = await probe_and_answer(services, team_id=team_id, user_id=user_id, channel=channel, target=target,
                                     paste=paste)
    if thread_ts is None:
        await respond_to(services, response_url, message, replace_original=True)
    else:
        await client.chat_update(channel=channel, ts=str(posted["ts"]), **message)


async def _probe_message(services: Services, outcome: ProbeOutcome, *, header: bool = True) -> dict[str, Any]:
    """text + blocks for a probe with no paste: the table, the findings mapped to cause titles, the top fix."""
    title = f"probe of {escape_mrkdwn(outcome.target)}"
    report = outcome.report
    if report is None:
        return {"text": title, "blocks": message_blocks(outcome.refusal or "The probe did not run.")}
    fix = None
    decisive = [f for f in report.findings if f.decisive]
    if decisive:
        top = decisive[0].cause
        # With no paste, the facts a fix template reads are what the probe saw: its host and provider.
        evidence = tuple(Evidence("probe", f.detail) for f in decisive if f.cause == top)
        d = Diagnosis(is_smtp=True, causes=(CauseMatch(id=top, confidence=1.0, evidence=evidence),),
                      facts=Facts(host=report.host, provider=report.provider), findings=report.findings,
                      probe=report)
        try:
            fix = services.fix_text(d, services.kb, top, mrkdwn=True)
        except Exception:  # a broken fix template must not cost the user the probe result
            log.exception("fix text for probe finding %s failed", top)
    fix = styled(fix) if fix else fix  # URLs as links, setting names in code, as in every answer
    return {"text": title, "blocks": probe_blocks(report, kb=services.kb, fix=fix, title=header)}


# ------------------------------------------------------------------------------------------------------- login


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


def login_port(target: str) -> int | None:
    """Where the one AUTH goes: the target's port, else 465 for smtps://, else 587; None if unreadable."""
    try:
        tgt = parse_target(target)
    except InputError:
        return None
    if tgt.port is not None:
        return tgt.port
    return IMPLICIT_LOGIN_PORT if tgt.implicit_tls else DEFAULT_LOGIN_PORT


def login_view(target: str, channel: str) -> dict[str, Any]:
    """The private modal that asks for credentials to test a login on `target` (Test login, `probe … --auth`)."""
    return login_modal(target=target, port=login_port(target), channel_id=channel or None,
                       checks_left=AUTH_CHECKS_PER_USER[0])


def _scrubbed(report: ProbeReport, password: str) -> ProbeReport:
    """The report with every occurrence of the password replaced, in case a server echoes it back."""
    def scrub(node: Any) -> Any:
        if isinstance(node, str):
            return node.replace(password, "[REDACTED]")
        if isinstance(node, Mapping):
            return {k: scrub(v) for k, v in node.items()}
        if isinstance(node, list):
            return [scrub(v) for v in node]
        return node

    return ProbeReport.from_dict(scrub(report.to_dict()))


async def _login_refusal(services: Services, *, team_id: str, user_id: str, channel: str) -> str | None:
    """The stricter per-user AUTH limit first, then the limits every probe counts against."""
    if not await services.store.hit_rate_limit(
        f"probe:auth:user:{team_id}:{user_id}", limit=AUTH_CHECKS_PER_USER[0], window_s=AUTH_CHECKS_PER_USER[1]
    ):
        return (
            f"You have tested a login {AUTH_CHECKS_PER_USER[0]} times in the last 10 minutes; wait a few minutes "
            "(failed logins also count towards your provider's lock-out)."
        )
    return await check_probe_limits(services, team_id=team_id, user_id=user_id, channel=channel)


async def check_login(
    services: Services, *, team_id: str, user_id: str, channel: str, target: str, username: str, secret: Secret
) -> dict[str, Any]:
    """The private login test: the AUTH and probe limits, one AUTH over TLS in this process (never the queue or
    the cache, whose key encodes the arguments), and the message: verdict first, then the probe's table,
    findings and fix. Whatever happens, `secret` is empty when this returns."""
    async def once() -> ProbeReport:
        port = login_port(target)
        password = secret.take()
        report = await probe_now(services.settings, target, ports=(port,) if port is not None else None,
                                 credentials=(username, password), providers=services.kb, **services.probe_options)
        # a 1-3 character "password" would blank out ordinary words; echoing it inside a server line is no leak
        return _scrubbed(report, password) if len(password) >= 4 else report

    try:
        refusal = await _login_refusal(services, team_id=team_id, user_id=user_id, channel=channel)
        if refusal is not None:
            outcome = ProbeOutcome(target=target, refusal=refusal)
        else:
            outcome = await _guarded(target, "login test", once, log_details=False)
    finally:
        secret.take()
    await _record_probe(services, outcome, team_id=team_id, channel=channel)
    message = await _probe_message(services, outcome, header=False)  # the verdict's header leads instead
    if outcome.report is None:
        return message
    blocks = [login_header(outcome.report), login_verdict(outcome.report, username=username), *message["blocks"]]
    return {"text": login_fallback(outcome.report, target=outcome.target), "blocks": fit(blocks)}
