"""Terminal text: a Diagnosis (console, `smtp-help diagnose`) and a live probe report (`smtp-help probe`). Pure."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from bot.kb.model import KnowledgeBase
from bot.model import Diagnosis
from bot.render.dialogue import STEP_LABELS, dialogue_lines
from bot.render.env import APP_ENV
from bot.render.fix import fix_text
from bot.render.headline import headline
from bot.render.names import cause_summary, cause_title, client_name, provider_name
from bot.render.order import EVIDENCE_SHOWN, Seen
from bot.render.ports import TABLE_HEAD, PortRow, port_rows
from bot.text import strip_controls

if TYPE_CHECKING:  # a view reads the report; the probe package is not loaded to render a diagnosis
    from bot.probe.report import ProbeReport

__all__ = ["BOLD", "BOLD_OFF", "for_terminal", "render_probe", "render_text"]

BOLD, BOLD_OFF = "\x1b[1m", "\x1b[22m"  # SGR 1 / 22: bold on, normal intensity
_MIN_WIDTH = 40  # narrower than this, wrapping helps nobody: lines are left as they are
_WIDTHS = (6, 12, 22, 24, 12)  # the last column (what the server said) takes the rest of the line


def render_text(diagnosis: Diagnosis, kb: KnowledgeBase) -> str:
    """Readable plain text in the answer's order (bot.render.order): the headline in the words bot.wording
    decided (bot.render.headline), the fix with the step for this paste first, then why, what was read, what is
    not sure yet, evidence, the dialogue, settings warnings, other candidates and the probe's table. No sentence
    is said twice. A headline that names no cause (not enough to go on, settings look right) has no fix, why,
    evidence or other candidates under it."""
    head = headline(diagnosis, kb)
    top = diagnosis.top if head.show_fix else None
    facts = diagnosis.facts
    title = cause_title(kb, top.id) if top else None
    fix = fix_text(diagnosis, kb, mrkdwn=False) if top else ""
    seen = Seen(head.text, title or "", fix)
    summary = seen.new_part(cause_summary(kb, top.id) or "") if top else ""  # in the answer's order: each part
    ambiguity = seen.new_part(diagnosis.ambiguity or "") if top else ""     # says only what is new so far
    evidence = seen.keep((str(e) for e in top.evidence), whole=True) if top else []
    return APP_ENV.get_template("diagnosis.txt.j2").render(
        d=diagnosis,
        head=head,
        top=top,
        title=title,
        summary=summary,
        fix=fix,
        ambiguity=ambiguity,
        evidence=evidence[:EVIDENCE_SHOWN],
        more_evidence=max(0, len(evidence) - EVIDENCE_SHOWN),
        lint=seen.keep(issue.message for issue in diagnosis.lint),
        others=[(c, cause_title(kb, c.id)) for c in diagnosis.causes[1:]] if top else [],
        provider=provider_name(kb, facts.provider),
        client=client_name(kb, facts.client),
        facts=facts,
        probe=render_probe(diagnosis.probe) if diagnosis.probe is not None else "",
        dialogue=dialogue_lines(diagnosis.transcript) if diagnosis.transcript else [],
        failed_step=STEP_LABELS.get(diagnosis.transcript.failed_step or "", "")
        if diagnosis.transcript and diagnosis.transcript.failed else "",
    )


def _step_number(line: str) -> int:
    """Length of a fix step's number at the start of `line` ("12. " -> 3), else 0."""
    digits = len(line) - len(line.lstrip("0123456789"))
    return digits + 1 if 0 < digits <= 3 and line[digits:digits + 2] == ". " else 0


def _tokens(text: str) -> list[str]:
    """Words to wrap between: split at spaces, but a `code span` stays one word (never broken inside); a URL has no
    spaces, so it is one word already."""
    out: list[str] = []
    inside = False
    for word in text.split(" "):
        if inside and out:
            out[-1] += " " + word
        else:
            out.append(word)
        if word.count("`") % 2:
            inside = not inside
    return [w for w in out if w]


def _tabular(line: str) -> bool:
    """A line laid out in columns or quoted as is (the SMTP dialogue, the probe's table): not re-flowed."""
    return "  " in line.strip() or "\t" in line


def _cols(text: str) -> int:
    """Terminal columns `text` takes: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _wrap(line: str, width: int) -> list[str]:
    """One line wrapped to `width` with its indent (and a list bullet's or step number's hanging indent) kept;
    words longer than the line (URLs, code spans) stand on a line of their own, whole."""
    if _cols(line) <= width or _tabular(line):
        return [line]
    body = line.lstrip(" ")
    indent = len(line) - len(body)
    hang = indent + (2 if body[:2] in ("- ", "• ") else _step_number(body) + 1 if _step_number(body) else 0)
    words = _tokens(body)
    out, current = [], " " * indent + words[0]
    for word in words[1:]:
        if _cols(current) + 1 + _cols(word) <= width:
            current += " " + word
        else:
            out.append(current)
            current = " " * hang + word
    out.append(current)
    return out


def for_terminal(text: str, *, bold: bool, width: int | None) -> str:
    """render_text's answer for a terminal: the headline and the fix's step numbers in bold when `bold`, and lines
    wrapped to `width` (None: as they are). A pipe or NO_COLOR gets neither (bot.commands.tty decides). The text has
    no control characters of its own (render_text strips them), so the only escapes are these."""
    out = []
    lines = text.split("\n")
    for n, line in enumerate(lines):
        pieces = _wrap(line, width) if width and width >= _MIN_WIDTH else [line]
        if bold and n == 0 and line:
            pieces = [BOLD + p + BOLD_OFF for p in pieces]
        elif bold and _step_number(line):
            k = _step_number(line)
            pieces[0] = BOLD + pieces[0][:k] + BOLD_OFF + pieces[0][k:]
        out += pieces
    return "\n".join(out)


def _row(row: PortRow, *, upper: bool = False) -> str:
    cells = [c.upper() if upper else c for c in row.cells()]
    return "".join(c.ljust(w) for c, w in zip(cells, _WIDTHS, strict=False)) + cells[-1]


def render_probe(report: ProbeReport) -> str:
    """The readable report: header, DNS, the per-port table (bot.render.ports), certificates, AUTH, the status
    feed, findings. Server text is stripped of control characters (it is not escaped: this is a terminal)."""
    lines = [
        f"Probe of {report.target}"
        + (f"  (provider: {report.provider})" if report.provider else "")
        + f"  in {report.duration_ms / 1000:.1f} s"
    ]
    d = report.dns
    lines.append(
        f"DNS: {d.status}"
        + (f"; addresses {', '.join(report.addresses)}" if report.addresses else "")
        + (f"; MX {', '.join(f'{h} ({p})' for p, h in d.mx)}" if d.mx else "")
    )
    if d.sender_domain:
        lines.append(f"Sender domain {d.sender_domain}: SPF {d.spf_verdict}; DMARC {d.dmarc_verdict}")
    rows = port_rows(report)
    if rows:
        lines += ["", _row(TABLE_HEAD, upper=True), *(_row(r) for r in rows)]
    for p in report.ports:
        where = f"{p.host}:{p.port}" if p.host else str(p.port)   # a mail domain's MX hosts all answer on 25
        if p.greeting_text:
            lines.append(f"  {where} greeting: {p.greeting_text.splitlines()[0]}")
        c = p.cert
        if c is not None:
            trust = "trusted" if c.trusted else f"NOT trusted ({c.error or 'unknown'})"
            lines.append(
                f"  {where} certificate: {c.subject}; issuer {c.issuer}; SANs {', '.join(c.sans[:6])}; "
                f"valid to {c.not_after[:10]}; name {'matches' if c.hostname_match else 'does NOT match'}; "
                f"{trust}"
            )
        if p.auth is not None:
            code = "-" if p.auth.code is None else str(p.auth.code)
            lines.append(f"  {where} AUTH check: {'accepted' if p.auth.ok else 'refused'} {code} {p.auth.text}")
    if report.status_feed is not None:
        f = report.status_feed
        state = (("open incident: " + "; ".join(f.titles)) if f.incident
                 else ("no open incident" if f.ok else f"unknown ({f.error})"))
        lines.append(f"Status ({f.provider}): {state}" + (f"  {f.page}" if f.page else ""))
    lines.append("")
    # As in Slack: a decisive finding names a fault; the rest (AUTH only after STARTTLS, one address family down
    # beside a working one) is worth knowing but is how a healthy server can look from here.
    findings = [f for f in report.findings if f.decisive]
    notes = [f for f in report.findings if not f.decisive]
    if findings:
        lines.append("Findings:")
        lines += [f"  - [{f.cause}] {f.detail}" for f in findings]
    else:
        lines.append("Findings: none - the server answered as expected.")
    if notes:
        lines.append("Worth knowing:")
        lines += [f"  - {f.detail}" for f in notes]
    return strip_controls("\n".join(lines))
