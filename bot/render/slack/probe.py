"""A live probe in Block Kit: the progress line, the per-port table, and what the findings mean. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.kb.model import KnowledgeBase
from bot.model import Diagnosis
from bot.render.escape import escape_mrkdwn
from bot.render.names import cause_title
from bot.render.slack.kit import SECTION_MAX, Block, chunks, clip, context, divider, esc, fit, header, section
from bot.text import strip_controls

__all__ = ["port_table", "probe_blocks", "probe_intro", "progress_blocks", "ranking_with_probe"]


def progress_blocks(target: str) -> list[Block]:
    """The "probing host…" message that is later replaced by the result."""
    return [context(f":hourglass_flowing_sand: probing {esc(target, 255)}…")]


def _port_row(port: Mapping[str, Any]) -> tuple[str, ...]:
    """One row of the per-port table from a PortResult dict (bot/probe/report.py's shape)."""
    status = str(port.get("status", "?"))
    tls = port.get("tls")
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
            clip(strip_controls(c).replace("\n", " ").replace("`", "'"), w)
            for c, w in zip(row, _TABLE_WIDTHS, strict=True)
        ]
        padded = [c.ljust(w) for c, w in zip(cells[:-1], _TABLE_WIDTHS[:-1], strict=True)]
        lines.append("  ".join([*padded, cells[-1]]))
    return "```\n" + escape_mrkdwn("\n".join(line.rstrip() for line in lines)) + "\n```"


def probe_intro(report: Mapping[str, Any]) -> Block | None:
    """A context line: the host, the addresses it resolved to, DNS trouble and how long the probe took."""
    host = esc(str(report.get("host") or "?"), 255)
    addresses = [str(a) for a in (report.get("addresses") or [])][:6]
    parts = []
    if addresses:
        parts.append(f"`{host}` → " + ", ".join(f"`{esc(a, 60)}`" for a in addresses))
    dns = report.get("dns")
    if isinstance(dns, Mapping) and dns.get("error"):
        parts.append(f"DNS: {esc(str(dns['error']))}")
    duration = report.get("duration_ms")
    if isinstance(duration, int | float) and duration:
        parts.append(f"{duration / 1000:.1f} s")
    return context(" · ".join(parts)) if parts else None


def probe_blocks(report: Mapping[str, Any], *, kb: KnowledgeBase, fix: str | None = None) -> list[Block]:
    """A probe with no paste: addresses, the per-port table, findings mapped to cause titles, and `fix`
    (mrkdwn from bot.render.fix.fix_text) for the top finding's cause."""
    body: list[Block] = [header(f"Live probe: {strip_controls(str(report.get('host') or '?'))}")]
    intro = probe_intro(report)
    if intro:
        body.append(intro)
    table = port_table(report)
    if table:
        body.append(section("*Ports*\n" + table))
    every = [f for f in (report.get("findings") or []) if isinstance(f, Mapping)][:10]
    findings = [f for f in every if f.get("decisive", True)]
    notes = [f for f in every if not f.get("decisive", True)]
    if notes:
        body.append(section("*Worth knowing*\n" + "\n".join(f"• {esc(str(f.get('detail') or ''))}" for f in notes)))
    if findings:
        meaning = []
        for f in findings:
            title = cause_title(kb, str(f.get("cause") or "other_smtp"))
            meaning.append(f"• *{escape_mrkdwn(title)}*: {esc(str(f.get('detail') or ''))}")
        body.append(section("*What it means*\n" + "\n".join(meaning)))
        if fix:
            top = cause_title(kb, str(findings[0].get("cause") or "other_smtp"))
            body.append(divider())
            for i, chunk in enumerate(chunks(fix, SECTION_MAX - 200)):
                body.append(section((f"*How to fix it: {escape_mrkdwn(top)}*\n" if i == 0 else "") + chunk))
    elif table:
        body.append(section("Nothing wrong seen from here: the server answers and offers what a client needs."))
    return fit(body)


def ranking_with_probe(d: Diagnosis, kb: KnowledgeBase) -> str:
    """Every ranked cause with its confidence; probe evidence ("live probe: …") under the cause it supports."""
    lines = ["*Ranking with the live probe*"]
    for i, c in enumerate(d.causes[:6], 1):
        lines.append(f"{i}. *{escape_mrkdwn(cause_title(kb, c.id))}* — {round(c.confidence * 100)}%")
        lines.extend(f"      ↳ {esc(e)}" for e in c.evidence if str(e).startswith("live probe:"))
    return "\n".join(lines)
