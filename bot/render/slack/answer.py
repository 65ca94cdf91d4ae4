"""The answer to a paste in Block Kit: cause, confidence, evidence, numbered fix, then the buttons. Pure.

Also the screens that hang off an answer: the other ranked causes, the note to someone who pasted a secret, and
the reply to a mention in a thread with no SMTP problem in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict, Unpack

from bot.kb.model import KnowledgeBase
from bot.model import CauseMatch, Diagnosis
from bot.render.dialogue import STEP_LABELS, dialogue_lines
from bot.render.escape import escape_mrkdwn
from bot.render.headline import headline
from bot.render.names import cause_summary, cause_title, client_name, provider_name
from bot.render.order import Seen
from bot.render.slack.actions import (
    ACTION_AUTH_CHECK,
    ACTION_FIXED,
    ACTION_NOT_FIXED,
    ACTION_OTHER,
    ACTION_PROBE,
    ACTION_SHARE,
    ACTION_SHOW_FIX,
    ACTIONS_BLOCK,
    FEEDBACK_BLOCK,
    TARGET_MAX,
    ButtonSpec,
    ButtonValue,
    action_button,
    action_row,
)
from bot.render.slack.kit import (
    SECTION_MAX,
    Block,
    chunks,
    confidence_label,
    context,
    divider,
    esc,
    fit,
    header,
    message_blocks,
    mrkdwn,
    section,
)
from bot.render.slack.probe import probed_answer_blocks
from bot.render.slack.style import styled

__all__ = [
    "MAX_EVIDENCE_LINES",
    "AnswerOptions",
    "diagnosis_blocks",
    "diagnosis_fallback",
    "diagnosis_message",
    "other_causes_blocks",
    "secret_warning_blocks",
    "thread_unclear_blocks",
]

MAX_EVIDENCE_LINES = 8


def _pick(d: Diagnosis, cause_id: str | None) -> CauseMatch | None:
    if cause_id is None:
        return d.top
    return next((c for c in d.causes if c.id == cause_id), CauseMatch(id=cause_id, confidence=0.0))


def _evidence_lines(evidence: Sequence[str]) -> str:
    lines = [f"• {esc(e)}" for e in evidence[:MAX_EVIDENCE_LINES]]
    if len(evidence) > MAX_EVIDENCE_LINES:
        lines.append(f"• … and {len(evidence) - MAX_EVIDENCE_LINES} more")
    return "\n".join(lines)


def diagnosis_fallback(d: Diagnosis, kb: KnowledgeBase, cause_id: str | None = None) -> str:
    """The message's `text` (notifications, screen readers): one escaped line."""
    match = _pick(d, cause_id)
    if match is None:
        return "smtp-help: no SMTP cause recognised"
    return escape_mrkdwn(f"smtp-help: {headline(d, kb, cause_id).title}")


class AnswerOptions(TypedDict, total=False):
    """How an answer is shown, besides the diagnosis and its fix (every key optional)."""

    cause_id: str | None  # show this cause instead of the top one
    ref: str | None  # the paste's reference the buttons carry; None: no buttons
    probe_target: str | None  # bot.probe.choose.probe_target: adds Run live probe and Test login
    changes: Sequence[str]  # what changed since the last answer in a triage thread
    feedback: bool  # Fixed it / Didn't help (default True)
    share: bool  # Share in channel (default True)
    intro: str | None  # trusted mrkdwn written by the app, e.g. "Shared by <@U…>"
    share_thread: str | None  # the thread a shared answer goes to


def diagnosis_blocks(d: Diagnosis, *, kb: KnowledgeBase, fix: str | None,
                     **options: Unpack[AnswerOptions]) -> list[Block]:
    """The answer to a paste: cause, confidence, evidence, numbered fix, then the buttons.

    `fix` is mrkdwn from bot.render.fix.fix_text (values already escaped); `options` are AnswerOptions. When `d`
    was diagnosed with a live probe (`d.probe`), the answer shows the whole ranking with the probe's evidence and
    the per-port table.
    """
    cause_id, changes, intro = options.get("cause_id"), options.get("changes", ()), options.get("intro")
    match = _pick(d, cause_id)
    body: list[Block] = []
    if match is None or not d.is_smtp:
        body.append(
            section(
                "I could not find an SMTP sending problem in that text. Paste the exact error "
                "(with its reply code, e.g. `535 5.7.8 …`) or your SMTP settings "
                "(host, port, encryption, username)."
            )
        )
        return fit(body)
    # How sure the answer may sound is bot.wording's one decision; bot.render.headline words it for every view.
    # "Likely cause: X" only at or above the calibrated threshold, never with a percentage beside a low one.
    opening = headline(d, kb, cause_id)
    body.append(header(("Update: " if changes else "") + opening.title))
    if intro:
        body.append(context(intro))
    if changes:
        body.append(section("*What changed*\n" + "\n".join(f"• {esc(c)}" for c in changes[:10])))
    title = cause_title(kb, match.id)
    if not opening.show_fix:  # not enough to go on, or settings that look right: say so, ask for the error
        body.append(section(styled(esc(opening.text, 1500))))
        if d.probe is not None:
            body.extend(probed_answer_blocks(d, kb))
        return fit(body, _actions(d, match, ref=options.get("ref"), probe_target=options.get("probe_target"),
                                  feedback=False, share=False, share_thread=None, others=False))
    # The answer's order (bot.render.order): the cause in one line, the fix with this paste's step first, then
    # why, what was read, what is not sure yet, evidence, the dialogue, warnings; no sentence said twice.
    seen = Seen(title, opening.text, fix or "")
    if opening.level == "likely":
        body.append(section(f"*{escape_mrkdwn(title)}* — {confidence_label(match.confidence)}"))
    else:  # possibly: named as uncertain, with what would decide, and no percentage
        body.append(section(styled(esc(opening.text, 1500))))
    if fix:  # the app's own words: URLs as links, setting names in code (bot.render.slack.style)
        for i, chunk in enumerate(chunks(styled(fix), SECTION_MAX - 50)):
            body.append(section(("*How to fix it*\n" if i == 0 else "") + chunk))
        body.append(divider())
    summary = styled(esc(seen.new_part(cause_summary(kb, match.id) or ""), 1200))
    if summary:
        body.append(context(summary))
    facts = _facts_line(d, kb)
    if facts:
        body.append(context(facts))
    ambiguity = seen.new_part(d.ambiguity or "") if cause_id is None else ""
    if ambiguity:
        body.append(section(f"*Not sure yet:* {esc(ambiguity, 1000)}"))
    evidence = seen.keep((str(e) for e in match.evidence), whole=True)
    if evidence:
        body.append(section("*Evidence*\n" + _evidence_lines(evidence)))
    if d.transcript is not None and cause_id is None:
        body.append(section(_dialogue(d)))
    for message in seen.keep(issue.message for issue in d.lint[:5]):
        body.append(section(f":warning: {styled(esc(message, 1000))}"))
    if d.probe is not None:
        body.extend(probed_answer_blocks(d, kb))
    elif d.findings:
        body.append(section("*Live probe*\n" + "\n".join(f"• {esc(f.detail)}" for f in d.findings[:10])))
    if d.facts.exposed:
        kinds = ", ".join(escape_mrkdwn(k.replace("_", " ")) for k in d.facts.exposed)
        body.append(context(f":lock: Redacted from the paste: {kinds}. Rotate it if it was real."))
    tail = _actions(d, match, ref=options.get("ref"), probe_target=options.get("probe_target"),
                    feedback=options.get("feedback", True), share=options.get("share", True),
                    share_thread=options.get("share_thread"), others=True)
    return fit(body, tail)


def _dialogue(d: Diagnosis) -> str:
    """The SMTP dialogue, trimmed to the steps that matter, in a code block (escaped; no fence can close early)."""
    assert d.transcript is not None
    failed = d.transcript.failed_step
    title = "*SMTP dialogue*" + (f" — it failed at *{STEP_LABELS.get(failed, failed)}*" if failed else "")
    lines = [esc(line, 200).replace("```", "ʼʼʼ") for line in dialogue_lines(d.transcript, limit=8)]
    return title + "\n```" + "\n".join(lines) + "```"


def diagnosis_message(d: Diagnosis, *, kb: KnowledgeBase, fix: str | None,
                      **options: Unpack[AnswerOptions]) -> dict[str, Any]:
    """A whole message for chat.postMessage / response_url: the fallback `text` and diagnosis_blocks()."""
    return {"text": diagnosis_fallback(d, kb, options.get("cause_id")),
            "blocks": diagnosis_blocks(d, kb=kb, fix=fix, **options)}


def _facts_line(d: Diagnosis, kb: KnowledgeBase) -> str:
    f = d.facts
    parts = []
    provider = provider_name(kb, f.provider)
    client = client_name(kb, f.client)
    if provider:
        parts.append(f"Provider: *{esc(provider, 80)}*")
    if client:
        parts.append(f"Library: *{esc(client, 80)}*")
    if f.host:
        parts.append(f"Host: `{esc(f.host, 120)}`" + (f" port {f.port}" if f.port else ""))
    elif f.port:
        parts.append(f"Port: {f.port}")
    if f.tls_mode:
        parts.append(f"TLS: {esc(f.tls_mode, 20)}")
    return " · ".join(parts)


def _actions(
    d: Diagnosis,
    match: CauseMatch,
    *,
    ref: str | None,
    probe_target: str | None,
    feedback: bool,
    share: bool,
    share_thread: str | None,
    others: bool,
) -> list[Block]:
    if ref is None:
        return []
    # Two rows at most (a phone shows each actions block as its own row): what to do next, then feedback.
    # The primary (green) button is the next action, a live probe of the target the paste names, when the
    # probe would accept it (bot.probe.choose.probe_target); "Fixed it" is feedback, never the primary.
    nxt: list[ButtonSpec] = []
    if probe_target:
        target = probe_target[:TARGET_MAX]
        nxt.append(("Run live probe", ACTION_PROBE, ButtonValue(ref=ref, target=target), "primary"))
        nxt.append(("Test login", ACTION_AUTH_CHECK, ButtonValue(target=target), None))
    if others and len(d.causes) > 1:
        nxt.append(("Other possible causes", ACTION_OTHER, ButtonValue(ref=ref), None))
    after: list[ButtonSpec] = []
    if feedback:
        after.append(("Fixed it", ACTION_FIXED, ButtonValue(ref=ref, cause=match.id), None))
        after.append(("Didn't help", ACTION_NOT_FIXED, ButtonValue(ref=ref, cause=match.id), None))
    if share:
        after.append(("Share in channel", ACTION_SHARE,
                      ButtonValue(ref=ref, cause=match.id, thread=share_thread or ""), None))
    return [action_row(row, block_id=block_id)
            for row, block_id in ((nxt, ACTIONS_BLOCK), (after, FEEDBACK_BLOCK)) if row]


def other_causes_blocks(d: Diagnosis, *, kb: KnowledgeBase, ref: str, shown: str | None = None) -> list[Block]:
    """The other ranked candidates, each with its evidence and a button to show its fix."""
    others = [c for c in d.causes if c.id != (shown or (d.top.id if d.top else None))]
    if not others:
        return message_blocks("No other cause fits this paste.")
    body: list[Block] = [header("Other possible causes")]
    for c in others[:10]:
        text = f"*{escape_mrkdwn(cause_title(kb, c.id))}* — {confidence_label(c.confidence)}"
        if c.evidence:
            text += "\n" + _evidence_lines(Seen().keep((str(e) for e in c.evidence), whole=True))
        body.append(
            {
                "type": "section",
                "text": mrkdwn(text),
                "accessory": action_button("Show fix", ACTION_SHOW_FIX, ButtonValue(ref=ref, cause=c.id)),
            }
        )
    return fit(body)


def thread_unclear_blocks() -> list[Block]:
    """Reply to an @mention in a thread where no SMTP problem could be found."""
    return message_blocks(
        "I read this thread but could not find an SMTP sending problem in it. Post the exact "
        "error (with its reply code) or the SMTP settings here and mention me again."
    )


def secret_warning_blocks(kinds: Sequence[str]) -> list[Block]:
    """Ephemeral note to someone who pasted a secret in a shared channel."""
    names = ", ".join(escape_mrkdwn(k.replace("_", " ")) for k in kinds) or "a secret"
    return message_blocks(
        f":rotating_light: Your message seems to contain {names}. Everyone in this channel can "
        "read it: rotate (replace) that credential now, then edit or delete the message. "
        "I left it out of my reply."
    )
