"""A live probe in Block Kit: the progress line, the per-port table, and what the findings mean. Pure."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from bot.kb.model import KnowledgeBase
from bot.model import Diagnosis
from bot.render.escape import escape_mrkdwn
from bot.render.names import cause_title
from bot.render.ports import TABLE_HEAD, port_rows
from bot.render.slack.kit import (
    MAX_MESSAGE_JSON,
    SECTION_MAX,
    Block,
    chunks,
    clip,
    context,
    divider,
    esc,
    fit,
    header,
    section,
)
from bot.text import strip_controls

if TYPE_CHECKING:
    from bot.probe.report import ProbeReport

__all__ = [
    "dialogue_block",
    "port_table",
    "probe_blocks",
    "probe_intro",
    "probed_answer_blocks",
    "progress_blocks",
    "ranking_with_probe",
]


def progress_blocks(target: str) -> list[Block]:
    """The "probing host…" message that is later replaced by the result."""
    return [context(f":hourglass_flowing_sand: probing {esc(target, 255)}…")]


_WIDTHS = (5, 11, 22, 28, 10, 70)


def port_table(report: ProbeReport) -> str:
    """The probe's per-port table (bot.render.ports) as a mrkdwn code block, server text escaped and capped; ""
    when no port was probed."""
    rows = port_rows(report)
    if not rows:
        return ""
    lines = []
    for row in (TABLE_HEAD, *rows):
        cells = [clip(strip_controls(c).replace("\n", " ").replace("`", "'"), w)
                 for c, w in zip(row.cells(), _WIDTHS, strict=True)]
        padded = [c.ljust(w) for c, w in zip(cells[:-1], _WIDTHS[:-1], strict=True)]
        lines.append("  ".join([*padded, cells[-1]]))
    return "```\n" + escape_mrkdwn("\n".join(line.rstrip() for line in lines)) + "\n```"


DIALOGUE_LINES = 8  # per port, after a long reply is folded
DIALOGUE_MAX = 1500  # characters of the code block, escaped


def _fold(lines: tuple[str, ...]) -> list[str]:
    """A multi-line reply folded to its first line, a count and its last line (`<- 250-a`, `… 6 more`, `<- 250 b`)."""
    out: list[str] = []
    run: list[str] = []
    for line in (*lines, ""):
        if line.startswith("<- ") and line[6:7] == "-":
            run.append(line)
            continue
        if run:
            out.append(run[0])
            if len(run) > 1:
                out.append(f"   … {len(run) - 1} more line(s)")
            run = []
        if line:
            out.append(line)
    return out


def _trim(lines: list[str], keep: int) -> list[str]:
    """At most `keep` lines: the first three (connect, greeting, EHLO) and the last ones (where it ended)."""
    if len(lines) <= keep:
        return lines
    return [*lines[:3], f"   … {len(lines) - keep + 1} line(s)", *lines[-(keep - 4):]]


def dialogue_block(report: ProbeReport, *, limit: int = DIALOGUE_MAX) -> str:
    """The ports' SMTP dialogue as an escaped mrkdwn code block: failing ports first, a few lines each (a long
    reply folded, the start and the end of the session kept); "" when nothing was recorded."""
    ports = sorted(report.ports, key=lambda p: p.status == "ok")  # stable: failing ports first, in probe order
    parts = []
    for p in ports:
        if not p.dialogue:
            continue
        lines = _trim(_fold(p.dialogue), DIALOGUE_LINES)
        parts.append(f"port {p.port} ({p.status})\n" + "\n".join(f"  {line}" for line in lines))
    if not parts:
        return ""
    text = strip_controls("\n".join(parts)).replace("`", "'")
    return "```\n" + clip(escape_mrkdwn(text), limit) + "\n```"


def probe_intro(report: ProbeReport) -> Block | None:
    """A context line: the host, the addresses it resolved to, DNS trouble and how long the probe took."""
    host = esc(report.host or "?", 255)
    parts = []
    if report.addresses:
        parts.append(f"`{host}` → " + ", ".join(f"`{esc(a, 60)}`" for a in report.addresses[:6]))
    if report.dns.error:
        parts.append(f"DNS: {esc(report.dns.error)}")
    if report.duration_ms:
        parts.append(f"{report.duration_ms / 1000:.1f} s")
    return context(" · ".join(parts)) if parts else None


def probe_blocks(report: ProbeReport, *, kb: KnowledgeBase, fix: str | None = None, title: bool = True) -> list[Block]:
    """A probe with no paste: addresses, the per-port table, findings mapped to cause titles, and `fix`
    (mrkdwn from bot.render.fix.fix_text) for the top finding's cause. `title=False` leaves out the
    "Live probe: host" header (the login test leads with its own)."""
    body: list[Block] = [header(f"Live probe: {report.host or '?'}")] if title else []
    intro = probe_intro(report)
    if intro:
        body.append(intro)
    table = port_table(report)
    if table:
        body.append(section("*Ports*\n" + table))
    under_table = len(body)
    every = report.findings[:10]
    findings = [f for f in every if f.decisive]
    notes = [f for f in every if not f.decisive]
    if notes:
        body.append(section("*Worth knowing*\n" + "\n".join(f"• {esc(f.detail)}" for f in notes)))
    if findings:
        meaning = [f"• *{escape_mrkdwn(cause_title(kb, f.cause))}*: {esc(f.detail)}" for f in findings]
        body.append(section("*What it means*\n" + "\n".join(meaning)))
        if fix:
            top = cause_title(kb, findings[0].cause)
            body.append(divider())
            for i, chunk in enumerate(chunks(fix, SECTION_MAX - 200)):
                body.append(section((f"*How to fix it: {escape_mrkdwn(top)}*\n" if i == 0 else "") + chunk))
    elif table:
        body.append(section("Nothing wrong seen from here: the server answers and offers what a client needs."))
    # The dialogue goes under the table with the room the rest leaves (JSON escapes can double its size), so it
    # never pushes the findings or the fix out of the message.
    room = (MAX_MESSAGE_JSON - len(json.dumps(body)) - 800) // 2
    dialogue = dialogue_block(report, limit=min(DIALOGUE_MAX, room)) if room >= 300 else ""
    if dialogue:
        body.insert(under_table, section("*What was said* (AUTH redacted)\n" + dialogue))
    return fit(body)


def ranking_with_probe(d: Diagnosis, kb: KnowledgeBase) -> str:
    """Every ranked cause with its confidence; the probe's evidence under the cause it supports."""
    lines = ["*Ranking with the live probe*"]
    for i, c in enumerate(d.causes[:6], 1):
        lines.append(f"{i}. *{escape_mrkdwn(cause_title(kb, c.id))}* — {round(c.confidence * 100)}%")
        lines.extend(f"      ↳ {esc(str(e))}" for e in c.evidence if e.source == "probe")
    return "\n".join(lines)


def probed_answer_blocks(d: Diagnosis, kb: KnowledgeBase) -> list[Block]:
    """What an answer diagnosed with a live probe adds: the ranking with the probe's evidence, the per-port
    table, and the addresses and timing; nothing when `d` had no probe."""
    if d.probe is None:
        return []
    out = [section(ranking_with_probe(d, kb))]
    table = port_table(d.probe)
    if table:
        out.append(section(f"*Live probe of `{esc(d.probe.host or '?', 255)}`*\n" + table))
    intro = probe_intro(d.probe)
    return [*out, intro] if intro else out
