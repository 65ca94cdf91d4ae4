"""Terminal text: a Diagnosis (console, `smtp-help diagnose`) and a live probe report (`smtp-help probe`). Pure."""

from __future__ import annotations

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

__all__ = ["render_probe", "render_text"]

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
        if p.greeting_text:
            lines.append(f"  {p.port} greeting: {p.greeting_text.splitlines()[0]}")
        c = p.cert
        if c is not None:
            trust = "trusted" if c.trusted else f"NOT trusted ({c.error or 'unknown'})"
            lines.append(
                f"  {p.port} certificate: {c.subject}; issuer {c.issuer}; SANs {', '.join(c.sans[:6])}; "
                f"valid to {c.not_after[:10]}; name {'matches' if c.hostname_match else 'does NOT match'}; "
                f"{trust}"
            )
        if p.auth is not None:
            code = "-" if p.auth.code is None else str(p.auth.code)
            lines.append(f"  {p.port} AUTH check: {'accepted' if p.auth.ok else 'refused'} {code} {p.auth.text}")
    if report.status_feed is not None:
        f = report.status_feed
        state = (("open incident: " + "; ".join(f.titles)) if f.incident
                 else ("no open incident" if f.ok else f"unknown ({f.error})"))
        lines.append(f"Status ({f.provider}): {state}" + (f"  {f.page}" if f.page else ""))
    lines.append("")
    if report.findings:
        lines.append("Findings:")
        lines += [f"  - [{f.cause}] {f.detail}" for f in report.findings]
    else:
        lines.append("Findings: none - the server answered as expected.")
    return strip_controls("\n".join(lines))
