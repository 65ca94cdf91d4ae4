"""A small stand-in for the diagnosis engine, so the Slack tests pin Slack behaviour, not classifier tuning.

Its knowledge base is a real one of the production type (tests/tinykb.py); only the ranking is canned.

It follows bot.diagnose's contract: normalises Slack's escaping, redacts `password=...`, returns a Diagnosis.
"""

from __future__ import annotations

import re

from bot.kb import KnowledgeBase
from bot.model import CauseMatch, Diagnosis, Evidence, Facts
from bot.probe.report import ProbeReport

__all__ = ["fake_diagnose", "fake_fix_text"]


_SECRET = re.compile(r"(password\s*[=:]\s*)(\S+)", re.I)
_HOST = re.compile(r"\b(smtp\.[\w-]+\.[a-z]{2,})(?::(\d+))?", re.I)


def _seen(line: str) -> tuple[Evidence, ...]:
    return (Evidence("paste", line),)


def fake_diagnose(text: str, *, kb: KnowledgeBase, probe: ProbeReport | None = None) -> Diagnosis:
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    secrets = ("password",) if _SECRET.search(text) else ()
    text = _SECRET.sub(r"\1[REDACTED]", text)
    causes: list[CauseMatch] = []
    if "535" in text:
        causes.append(
            CauseMatch(id="bad_credentials", confidence=0.8, evidence=_seen("535 5.7.8 rejected <login>"))
        )
        causes.append(CauseMatch(id="app_password_required", confidence=0.3, evidence=_seen("gmail host")))
    if "534" in text:
        causes.insert(0, CauseMatch(id="app_password_required", confidence=0.9, evidence=_seen("534-5.7.9")))
    if "STARTTLS" in text or "wrong version number" in text:
        causes.append(CauseMatch(id="tls_mismatch", confidence=0.85, evidence=_seen("wrong version number")))
    if "timed out" in text and "smtp" in text.lower():
        causes.append(CauseMatch(id="network_blocked", confidence=0.4, evidence=_seen("connection timed out")))
    for finding in probe.findings if probe is not None else ():  # a probe's finding joins its cause's evidence
        known = next((c for c in causes if c.id == finding.cause), None)
        merged = CauseMatch(id=finding.cause, confidence=max(0.5, known.confidence if known else 0.0),
                            evidence=(Evidence("probe", finding.detail), *(known.evidence if known else ())))
        causes = [c for c in causes if c.id != finding.cause] + [merged]
    causes.sort(key=lambda c: -c.confidence)
    m = _HOST.search(text)
    facts = Facts(
        host=m.group(1).lower() if m else None,
        port=int(m.group(2)) if m and m.group(2) else None,
        provider="gmail" if "gmail" in text.lower() else None,
        secrets=secrets,
        reply_codes=tuple(int(c) for c in re.findall(r"\b([45]\d\d)\b", text)),
    )
    return Diagnosis(is_smtp=bool(causes), causes=tuple(causes), facts=facts, text=text, probe=probe,
                     findings=probe.findings if probe is not None else ())


def fake_fix_text(diagnosis: Diagnosis, kb: KnowledgeBase, cause_id: str | None = None, *, mrkdwn: bool) -> str:
    cid = cause_id or (diagnosis.top.id if diagnosis.top else "none")
    return f"1. Fix step one for {cid}\n2. Fix step two"
