"""Slack Block Kit views of a Diagnosis (and of probe reports, help, App Home): pure builders, no I/O.

Every piece of user, knowledge-base or probe text goes through `escape_mrkdwn` (or into a plain_text object),
so a paste can never ping @channel or a person, and mrkdwn text objects carry `verbatim: true` so Slack does
not auto-link. Limits are enforced here and nowhere else: at most MAX_BLOCKS blocks, SECTION_MAX characters
per section text, HEADER_MAX per header, and a total JSON size under MAX_MESSAGE_JSON (Slack rejects
messages with about 13k characters of blocks, bolt-js#2509); what does not fit is cut with a note, and the
action buttons always survive the cut.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bot.model import CauseMatch, Diagnosis
from bot.render.escape import escape_mrkdwn, strip_controls

__all__ = [
    "ACTION_AUTH_CHECK",
    "ACTION_FIXED",
    "ACTION_NOT_FIXED",
    "ACTION_OTHER",
    "ACTION_PROBE",
    "ACTION_SHARE",
    "ACTION_SHOW_FIX",
    "BUTTON_VALUE_MAX",
    "HEADER_MAX",
    "MAX_BLOCKS",
    "MAX_MESSAGE_JSON",
    "MODAL_CALLBACK",
    "MODAL_INPUT_ACTION",
    "MODAL_INPUT_BLOCK",
    "SECTION_MAX",
    "Block",
    "confidence_label",
    "diagnosis_blocks",
    "diagnosis_fallback",
    "fit",
    "help_blocks",
    "home_view",
    "message_blocks",
    "other_causes_blocks",
    "paste_modal",
    "port_table",
    "probe_blocks",
    "progress_blocks",
    "provider_blocks",
    "secret_warning_blocks",
    "thread_unclear_blocks",
]

Block = dict[str, Any]

MAX_BLOCKS = 50  # per message (modals and Home: 100)
MAX_VIEW_BLOCKS = 100
SECTION_MAX = 3000  # section text object
HEADER_MAX = 150  # header plain_text
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
MAX_MESSAGE_JSON = 11_000  # total serialized blocks; Slack's undocumented msg_blocks_too_long is near 13k
MAX_EVIDENCE_LINES = 8
MAX_LINE = 300  # one echoed evidence / server line

ACTION_PROBE = "smtp_help_probe"
ACTION_AUTH_CHECK = "smtp_help_auth_check"  # "Test login": opens the private credential modal
ACTION_SHARE = "smtp_help_share"
ACTION_OTHER = "smtp_help_other_causes"
ACTION_FIXED = "smtp_help_fixed"
ACTION_NOT_FIXED = "smtp_help_not_fixed"
ACTION_SHOW_FIX = "smtp_help_show_fix"
MODAL_CALLBACK = "smtp_help_paste_modal"
MODAL_INPUT_BLOCK = "paste"
MODAL_INPUT_ACTION = "paste_text"

CUT_NOTE = "… (cut to fit Slack's message limits)"


# ------------------------------------------------------------------------------------------------ primitives


def _clip(text: str, limit: int, note: str = "…") -> str:
    """Cut `text` to at most `limit` characters, at a line break when one is close, ending with `note`."""
    if len(text) <= limit:
        return text
    head = text[: max(0, limit - len(note) - 1)]
    cut = head.rfind("\n")
    if cut > limit // 2:
        head = head[:cut]
    # never leave half an entity such as "&am" behind
    amp = head.rfind("&")
    if amp != -1 and ";" not in head[amp:]:
        head = head[:amp]
    return head.rstrip() + "\n" + note if "\n" in head else head.rstrip() + note


def _esc(text: str, limit: int = MAX_LINE) -> str:
    """User / server text made safe for mrkdwn and capped."""
    return escape_mrkdwn(_clip(strip_controls(str(text)), limit))


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": _clip(text, SECTION_MAX), "verbatim": True}


def _plain(text: str, limit: int = SECTION_MAX) -> dict[str, Any]:
    return {"type": "plain_text", "text": _clip(strip_controls(text), limit) or " ", "emoji": True}


def _section(text: str) -> Block:
    return {"type": "section", "text": _mrkdwn(text)}


def _header(text: str) -> Block:
    return {"type": "header", "text": _plain(text, HEADER_MAX)}


def _context(*texts: str) -> Block:
    return {"type": "context", "elements": [_mrkdwn(t) for t in texts[:10]]}


def _divider() -> Block:
    return {"type": "divider"}


def _button(label: str, action_id: str, value: str, *, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": _plain(label, BUTTON_TEXT_MAX),
        "action_id": action_id,
        "value": value[:BUTTON_VALUE_MAX],
    }
    if style:
        button["style"] = style
    return button


def _value(**fields: Any) -> str:
    return json.dumps({k: v for k, v in fields.items() if v is not None}, separators=(",", ":"))


def _chunks(text: str, limit: int) -> list[str]:
    """Split long mrkdwn into pieces of at most `limit` characters, at line breaks where possible."""
    out: list[str] = []
    current = ""
    for line in text.splitlines():
        while len(line) > limit:  # one enormous line: hard split
            if current:
                out.append(current)
                current = ""
            out.append(line[:limit])
            line = line[limit:]
        if current and len(current) + 1 + len(line) > limit:
            out.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        out.append(current)
    return out


def _size(blocks: Iterable[Block]) -> int:
    return sum(len(json.dumps(b, separators=(",", ":"))) for b in blocks)


def fit(
    body: Sequence[Block],
    tail: Sequence[Block] = (),
    *,
    max_blocks: int = MAX_BLOCKS,
    max_json: int = MAX_MESSAGE_JSON,
) -> list[Block]:
    """Keep as much of `body` as fits with `tail` (e.g. the buttons) under the limits; say so when cutting."""
    note = _context(CUT_NOTE)
    budget_blocks = max_blocks - len(tail)
    budget_json = max_json - _size(tail)
    kept: list[Block] = []
    used = 0
    for i, block in enumerate(body):
        size = _size([block])
        last = i == len(body) - 1
        room_blocks = budget_blocks - len(kept) - (0 if last else 1)
        room_json = budget_json - used - (0 if last else _size([note]))
        if room_blocks >= 1 and size <= room_json:
            kept.append(block)
            used += size
            continue
        if block.get("type") == "section" and room_blocks >= 1:  # shorten the block that does not fit
            text = block["text"]["text"]
            allowed = room_json - (size - len(json.dumps(text))) - 20 - len(CUT_NOTE)
            if allowed > 200:
                kept.append({**block, "text": {**block["text"], "text": _clip(text, allowed, CUT_NOTE)}})
                return kept + list(tail)
        kept.append(note)
        return kept + list(tail)
    return kept + list(tail)


# ------------------------------------------------------------------------------------------------- diagnosis


def confidence_label(confidence: float) -> str:
    """ "high (82%)" style wording for a 0..1 confidence."""
    word = "high" if confidence >= 0.75 else "medium" if confidence >= 0.5 else "low"
    return f"{word} confidence ({round(confidence * 100)}%)"


def _title(kb: Any, cause_id: str) -> str:
    cause = getattr(kb, "causes", {}).get(cause_id)
    return str(getattr(cause, "title", None) or cause_id.replace("_", " ").capitalize())


def _summary(kb: Any, cause_id: str) -> str:
    cause = getattr(kb, "causes", {}).get(cause_id)
    return str(getattr(cause, "summary", "") or "")


def _named(registry: Mapping[str, Any] | None, key: str | None) -> str | None:
    if not key:
        return None
    item = (registry or {}).get(key)
    return str(getattr(item, "name", None) or key)


def _pick(d: Diagnosis, cause_id: str | None) -> CauseMatch | None:
    if cause_id is None:
        return d.top
    return next((c for c in d.causes if c.id == cause_id), CauseMatch(id=cause_id, confidence=0.0))


def _evidence_lines(match: CauseMatch) -> str:
    lines = [f"• {_esc(e)}" for e in match.evidence[:MAX_EVIDENCE_LINES]]
    if len(match.evidence) > MAX_EVIDENCE_LINES:
        lines.append(f"• … and {len(match.evidence) - MAX_EVIDENCE_LINES} more")
    return "\n".join(lines)


def diagnosis_fallback(d: Diagnosis, kb: Any, cause_id: str | None = None) -> str:
    """The message's `text` (notifications, screen readers): one escaped line."""
    match = _pick(d, cause_id)
    if match is None:
        return "smtp-help: no SMTP cause recognised"
    return escape_mrkdwn(f"smtp-help: likely {_title(kb, match.id)} ({round(match.confidence * 100)}%)")


def diagnosis_blocks(
    d: Diagnosis,
    *,
    kb: Any,
    fix: str | None,
    cause_id: str | None = None,
    ref: str | None = None,
    probe_target: str | None = None,
    changes: Sequence[str] = (),
    feedback: bool = True,
    share: bool = True,
    intro: str | None = None,
    share_thread: str | None = None,
    probe: Mapping[str, Any] | None = None,
) -> list[Block]:
    """The answer to a paste: cause, confidence, evidence, numbered fix, then the buttons.

    `fix` is mrkdwn from bot.render.fix.fix_text (values already escaped). `ref` is the opaque key the buttons
    carry to find the paste again; without it there are no buttons. `changes` lists what changed since the
    last answer in a triage thread. `intro` is trusted mrkdwn written by the app (e.g. "Shared by <@U…>").
    `probe` is the live probe's report dict when `d` was diagnosed with it: the answer then shows the whole
    ranking with the probe's evidence and the per-port table.
    """
    match = _pick(d, cause_id)
    body: list[Block] = []
    if match is None or not d.is_smtp:
        body.append(
            _section(
                "I could not find an SMTP sending problem in that text. Paste the exact error "
                "(with its reply code, e.g. `535 5.7.8 …`) or your SMTP settings "
                "(host, port, encryption, username)."
            )
        )
        return fit(body)
    title = _title(kb, match.id)
    body.append(_header(("Update: " if changes else "") + f"Likely cause: {title}"))
    if intro:
        body.append(_context(intro))
    if changes:
        body.append(_section("*What changed*\n" + "\n".join(f"• {_esc(c)}" for c in changes[:10])))
    summary = _esc(_summary(kb, match.id), 1200)
    body.append(
        _section(
            f"*{escape_mrkdwn(title)}* — {confidence_label(match.confidence)}"
            + (f"\n{summary}" if summary else "")
        )
    )
    facts = _facts_line(d, kb)
    if facts:
        body.append(_context(facts))
    if match.evidence:
        body.append(_section("*Evidence*\n" + _evidence_lines(match)))
    if d.ambiguity and cause_id is None:
        body.append(_section(f"*Not sure yet:* {_esc(d.ambiguity, 1000)}"))
    for issue in d.lint[:5]:
        body.append(_section(f":warning: {_esc(issue.message, 1000)}"))
    if probe is not None:
        intro_block = _probe_intro(probe)
        body.append(_section(_ranking_with_probe(d, kb)))
        table = port_table(probe)
        if table:
            host = _esc(str(probe.get("host") or "?"), 255)
            body.append(_section(f"*Live probe of `{host}`*\n" + table))
        if intro_block:
            body.append(intro_block)
    elif d.findings:
        body.append(_section("*Live probe*\n" + "\n".join(f"• {_esc(f.detail)}" for f in d.findings[:10])))
    if fix:
        body.append(_divider())
        for i, chunk in enumerate(_chunks(fix, SECTION_MAX - 50)):
            body.append(_section(("*How to fix it*\n" if i == 0 else "") + chunk))
    if d.facts.secrets:
        kinds = ", ".join(escape_mrkdwn(k.replace("_", " ")) for k in d.facts.secrets)
        body.append(_context(f":lock: Redacted from the paste: {kinds}. Rotate it if it was real."))
    tail = _diagnosis_actions(
        d,
        match,
        ref=ref,
        probe_target=probe_target,
        feedback=feedback,
        share=share,
        share_thread=share_thread,
    )
    return fit(body, tail)


def _facts_line(d: Diagnosis, kb: Any) -> str:
    f = d.facts
    parts = []
    provider = _named(getattr(kb, "providers", None), f.provider)
    client = _named(getattr(kb, "clients", None), f.client)
    if provider:
        parts.append(f"Provider: *{_esc(provider, 80)}*")
    if client:
        parts.append(f"Library: *{_esc(client, 80)}*")
    if f.host:
        parts.append(f"Host: `{_esc(f.host, 120)}`" + (f" port {f.port}" if f.port else ""))
    elif f.port:
        parts.append(f"Port: {f.port}")
    if f.tls_mode:
        parts.append(f"TLS: {_esc(f.tls_mode, 20)}")
    return " · ".join(parts)


def _diagnosis_actions(
    d: Diagnosis,
    match: CauseMatch,
    *,
    ref: str | None,
    probe_target: str | None,
    feedback: bool,
    share: bool,
    share_thread: str | None,
) -> list[Block]:
    if ref is None:
        return []
    buttons = []
    if probe_target:
        buttons.append(_button("Run live probe", ACTION_PROBE, _value(r=ref, t=probe_target[:255])))
        buttons.append(_button("Test login", ACTION_AUTH_CHECK, _value(t=probe_target[:255])))
    if share:
        buttons.append(_button("Share in channel", ACTION_SHARE, _value(r=ref, c=match.id, th=share_thread)))
    if len(d.causes) > 1:
        buttons.append(_button("Other possible causes", ACTION_OTHER, _value(r=ref)))
    if feedback:
        buttons.append(_button("Fixed it", ACTION_FIXED, _value(r=ref, c=match.id), style="primary"))
        buttons.append(_button("Didn't help", ACTION_NOT_FIXED, _value(r=ref, c=match.id)))
    return [{"type": "actions", "block_id": "smtp_help_actions", "elements": buttons}] if buttons else []


def other_causes_blocks(d: Diagnosis, *, kb: Any, ref: str, shown: str | None = None) -> list[Block]:
    """The other ranked candidates, each with its evidence and a button to show its fix."""
    others = [c for c in d.causes if c.id != (shown or (d.top.id if d.top else None))]
    if not others:
        return [_section("No other cause fits this paste.")]
    body: list[Block] = [_header("Other possible causes")]
    for c in others[:10]:
        text = f"*{escape_mrkdwn(_title(kb, c.id))}* — {confidence_label(c.confidence)}"
        if c.evidence:
            text += "\n" + _evidence_lines(c)
        body.append(
            {
                "type": "section",
                "text": _mrkdwn(text),
                "accessory": _button("Show fix", ACTION_SHOW_FIX, _value(r=ref, c=c.id)),
            }
        )
    return fit(body)


def message_blocks(text: str) -> list[Block]:
    """A short app-written mrkdwn message (trusted text; callers escape anything user-supplied)."""
    return [_section(text)]


def thread_unclear_blocks() -> list[Block]:
    """Reply to an @mention in a thread where no SMTP problem could be found."""
    return message_blocks(
        "I read this thread but could not find an SMTP sending problem in it. Post the exact "
        "error (with its reply code) or the SMTP settings here and mention me again."
    )


def secret_warning_blocks(kinds: Sequence[str]) -> list[Block]:
    """Ephemeral note to someone who pasted a secret in a shared channel."""
    names = ", ".join(escape_mrkdwn(k.replace("_", " ")) for k in kinds) or "a secret"
    return [
        _section(
            f":rotating_light: Your message seems to contain {names}. Everyone in this channel can "
            "read it: rotate (replace) that credential now, then edit or delete the message. "
            "I left it out of my reply."
        )
    ]


# ----------------------------------------------------------------------------------------------------- probe


def progress_blocks(target: str) -> list[Block]:
    """The "probing host…" message that is later replaced by the result."""
    return [_context(f":hourglass_flowing_sand: probing {_esc(target, 255)}…")]


def _port_row(port: Mapping[str, Any]) -> tuple[str, ...]:
    """One row of the per-port table from a PortResult dict (bot/probe/report.py's shape)."""
    status = str(port.get("status", "?"))
    tls = port.get("tls")
    if isinstance(tls, Mapping):  # older cached shape: {"version", "mode"}
        tls_text = " ".join(str(v) for v in (tls.get("mode"), tls.get("version")) if v)
    else:
        mode = {"starttls": "STARTTLS", "implicit": "implicit"}.get(str(tls or ""), str(tls or "-"))
        tls_text = " ".join(v for v in (mode, str(port.get("tls_version") or "")) if v)
    if port.get("wrong_mode"):
        tls_text += " (wrong mode)"
    before = [str(m) for m in port.get("auth_before_tls") or []]
    after = [str(m) for m in port.get("auth_after_tls") or []]
    auth = " ".join(after or before) or "-"
    if after and not before and status == "ok":
        auth += " (after TLS)"
    if isinstance(port.get("auth"), Mapping):
        a = port["auth"]
        auth += " → login ok" if a.get("ok") else f" → {a.get('code') or 'refused'}"
    cert = port.get("cert")
    cert_text = "-"
    if isinstance(cert, Mapping):
        cert_text = (
            "trusted"
            if cert.get("trusted")
            else "expired"
            if cert.get("expired")
            else "wrong name"
            if cert.get("hostname_match") is False
            else "untrusted"
        )
    note = port.get("error") or port.get("detail") or port.get("banner")
    if not note and port.get("greeting_code") is not None:
        note = f"{port.get('greeting_code')} {port.get('greeting_text') or ''}".strip()
    return (str(port.get("port", "?")), status, tls_text or "-", auth, cert_text, str(note or "-"))


_TABLE_HEAD = ("port", "result", "TLS", "AUTH", "cert", "server said / error")
_TABLE_WIDTHS = (5, 11, 22, 28, 10, 70)


def port_table(report: Mapping[str, Any]) -> str:
    """The probe's per-port table as a mrkdwn code block (server text escaped and capped), or ""."""
    rows = [_port_row(p) for p in (report.get("ports") or [])[:12] if isinstance(p, Mapping)]
    if not rows:
        return ""
    lines = []
    for row in (_TABLE_HEAD, *rows):
        cells = [
            _clip(strip_controls(c).replace("\n", " ").replace("`", "'"), w)
            for c, w in zip(row, _TABLE_WIDTHS, strict=True)
        ]
        padded = [c.ljust(w) for c, w in zip(cells[:-1], _TABLE_WIDTHS[:-1], strict=True)]
        lines.append("  ".join([*padded, cells[-1]]))
    return "```\n" + escape_mrkdwn("\n".join(line.rstrip() for line in lines)) + "\n```"


def _probe_intro(report: Mapping[str, Any]) -> Block | None:
    host = _esc(str(report.get("host") or "?"), 255)
    addresses = [str(a) for a in (report.get("addresses") or [])][:6]
    parts = []
    if addresses:
        parts.append(f"`{host}` → " + ", ".join(f"`{_esc(a, 60)}`" for a in addresses))
    dns = report.get("dns")
    if isinstance(dns, Mapping) and dns.get("error"):
        parts.append(f"DNS: {_esc(str(dns['error']))}")
    duration = report.get("duration_ms")
    if isinstance(duration, int | float) and duration:
        parts.append(f"{duration / 1000:.1f} s")
    return _context(" · ".join(parts)) if parts else None


def probe_blocks(report: Mapping[str, Any], *, kb: Any, fix: str | None = None) -> list[Block]:
    """A probe with no paste: addresses, the per-port table, findings mapped to cause titles, and `fix`
    (mrkdwn from bot.render.fix.fix_text) for the top finding's cause."""
    body: list[Block] = [_header(f"Live probe: {strip_controls(str(report.get('host') or '?'))}")]
    intro = _probe_intro(report)
    if intro:
        body.append(intro)
    table = port_table(report)
    if table:
        body.append(_section("*Ports*\n" + table))
    every = [f for f in (report.get("findings") or []) if isinstance(f, Mapping)][:10]
    findings = [f for f in every if f.get("decisive", True)]
    notes = [f for f in every if not f.get("decisive", True)]
    if notes:
        body.append(_section("*Worth knowing*\n" + "\n".join(f"• {_esc(str(f.get('detail') or ''))}" for f in notes)))
    if findings:
        meaning = []
        for f in findings:
            title = _title(kb, str(f.get("cause") or "other_smtp"))
            meaning.append(f"• *{escape_mrkdwn(title)}*: {_esc(str(f.get('detail') or ''))}")
        body.append(_section("*What it means*\n" + "\n".join(meaning)))
        if fix:
            top = _title(kb, str(findings[0].get("cause") or "other_smtp"))
            body.append(_divider())
            for i, chunk in enumerate(_chunks(fix, SECTION_MAX - 200)):
                body.append(_section((f"*How to fix it: {escape_mrkdwn(top)}*\n" if i == 0 else "") + chunk))
    elif table:
        body.append(
            _section("Nothing wrong seen from here: the server answers and offers what a client needs.")
        )
    return fit(body)


def _ranking_with_probe(d: Diagnosis, kb: Any) -> str:
    """Every ranked cause with its confidence; probe evidence ("live probe: …") under the cause it supports."""
    lines = ["*Ranking with the live probe*"]
    for i, c in enumerate(d.causes[:6], 1):
        lines.append(f"{i}. *{escape_mrkdwn(_title(kb, c.id))}* — {round(c.confidence * 100)}%")
        lines.extend(f"      ↳ {_esc(e)}" for e in c.evidence if str(e).startswith("live probe:"))
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------- help, home, modal

HELP_TEXT = (
    "*smtp-help* reads an SMTP error or your mail settings and tells you the likely cause and the fix.\n"
    "• `/smtp-help <paste>` — diagnose a pasted error or settings (only you see the answer)\n"
    "• `/smtp-help` — open a box to paste a long log into\n"
    "• `/smtp-help probe smtp.example.com:587` — check a server live (connect, TLS, AUTH offered)\n"
    "• `/smtp-help probe smtp.example.com:587 --auth` — test a login privately: one AUTH over TLS, "
    "the password is never stored\n"
    "• `/smtp-help provider gmail` — a provider's SMTP settings\n"
    "• `/smtp-help channel on|off` — answer pastes in this channel by myself, or not\n"
    "• In a thread: mention me to diagnose the whole thread, or use the message shortcut "
    "*Diagnose SMTP problem* on any message (slash commands do not work in threads)."
)


def help_blocks() -> list[Block]:
    """The usage text for `/smtp-help help`."""
    return [_section(HELP_TEXT)]


def provider_blocks(provider: Any) -> list[Block]:
    """A provider's submission settings from its knowledge file (`provider.data` is the YAML dict)."""
    data: Mapping[str, Any] = getattr(provider, "data", None) or {}
    name = str(getattr(provider, "name", None) or data.get("name") or getattr(provider, "id", "provider"))
    body: list[Block] = [_header(f"{name}: SMTP settings")]
    rows = []
    for sub in data.get("submission") or []:
        if isinstance(sub, Mapping):
            rows.append(
                f"• `{_esc(str(sub.get('host', '?')), 120)}` port {_esc(str(sub.get('port', '?')), 8)}"
                f" — {_esc(str(sub.get('tls', '?')), 20)}"
            )
    if rows:
        body.append(_section("*Submission*\n" + "\n".join(rows)))
    for key, label in (
        ("username", "Username"),
        ("password", "Password"),
        ("app_passwords", "App passwords"),
    ):
        part = data.get(key)
        if isinstance(part, Mapping) and part.get("note"):
            text = f"*{label}:* {_esc(str(part['note']), 1200)}"
            if part.get("url"):
                text += f"\n{_esc(str(part['url']), 300)}"
            body.append(_section(text))
    status = data.get("status")
    if isinstance(status, Mapping) and status.get("page"):
        body.append(_context(f"Status page: {_esc(str(status['page']), 300)}"))
    return fit(body)


def home_view(kb: Any, counts: Mapping[str, int], *, feedback: Any = None) -> dict[str, Any]:
    """The App Home tab: how to use the bot, what it knows, this workspace's counts, and per cause how often it
    was suggested and marked helpful or not (`feedback`: a bot.store FeedbackReport), so the team sees which
    knowledge entries need work."""
    causes = sorted(getattr(kb, "causes", {}).values(), key=lambda c: str(getattr(c, "title", "")))
    providers = sorted(getattr(kb, "providers", {}).values(), key=lambda p: str(getattr(p, "name", "")))
    blocks: list[Block] = [_header("smtp-help"), _section(HELP_TEXT), _divider()]
    figures = " · ".join(f"{escape_mrkdwn(k.replace('_', ' '))}: *{int(v)}*" for k, v in counts.items())
    blocks.append(_section("*This workspace*\n" + (figures or "nothing yet")))
    rows = [c for c in getattr(feedback, "causes", ()) if c.suggested or c.helpful or c.not_helpful][:12]
    if rows:
        lines = [f"• *{_esc(_title(kb, c.cause_id), 100)}*: suggested {int(c.suggested)}, "
                 f"helped {int(c.helpful)}, didn't help {int(c.not_helpful)}" for c in rows]
        blocks.append(_section("*Feedback by cause* (most \"Didn't help\" first; `smtp-help feedback` lists the "
                               "pastes)\n" + "\n".join(lines)))
    if causes:
        lines = [
            f"• *{_esc(str(c.title), 100)}* — {_esc(str(getattr(c, 'summary', '')), 160)}" for c in causes
        ]
        blocks.extend(
            _section(("*Causes I know*\n" if i == 0 else "") + chunk)
            for i, chunk in enumerate(_chunks("\n".join(lines), SECTION_MAX - 40))
        )
    if providers:
        names = ", ".join(_esc(str(getattr(p, "name", p.id)), 60) for p in providers)
        blocks.append(_section(f"*Providers I know*\n{names}"))
    return {"type": "home", "blocks": fit(blocks, max_blocks=MAX_VIEW_BLOCKS, max_json=90_000)}


def paste_modal(*, channel_id: str | None) -> dict[str, Any]:
    """The modal `/smtp-help` with no text opens; private_metadata remembers the channel to answer in."""
    return {
        "type": "modal",
        "callback_id": MODAL_CALLBACK,
        "private_metadata": json.dumps({"channel": channel_id}) if channel_id else "",
        "title": _plain("SMTP help", 24),
        "submit": _plain("Diagnose", 24),
        "close": _plain("Cancel", 24),
        "blocks": [
            {
                "type": "input",
                "block_id": MODAL_INPUT_BLOCK,
                "label": _plain("Paste the error or your SMTP settings", 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": MODAL_INPUT_ACTION,
                    "multiline": True,
                    "max_length": 3000,
                    "placeholder": _plain("535 5.7.8 Username and Password not accepted …", 150),
                },
            }
        ],
    }
