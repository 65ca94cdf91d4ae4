"""The diagnosis pipeline: normalise → redact → extract → lint → classify. Pure; no I/O."""

from __future__ import annotations

from typing import Any

from bot.classify import classify
from bot.extract import extract
from bot.kb.model import KnowledgeBase
from bot.lint import lint_settings
from bot.model import Diagnosis
from bot.normalize import normalize
from bot.redact import redact

__all__ = ["SUBMISSION_PORTS", "diagnose", "probe_target"]

SUBMISSION_PORTS = (25, 465, 587, 2525)


def diagnose(text: str | bytes, *, kb: KnowledgeBase, probe: Any = None) -> Diagnosis:
    """Diagnose a paste (and, when given, a live probe report whose findings join the evidence)."""
    redacted = redact(normalize(text))
    ext = extract(redacted.text, kb, secrets=redacted.kinds)
    lint = lint_settings(ext.facts, kb)
    findings = tuple(getattr(probe, "findings", ()) or ()) if probe is not None else ()
    result = classify(ext, kb, lint=lint, findings=findings)
    return Diagnosis(is_smtp=result.is_smtp, causes=result.causes, facts=ext.facts, lint=lint, findings=findings,
                     ambiguity=result.ambiguity if result.is_smtp else None, probe=probe, text=redacted.text)


def probe_target(diagnosis: Diagnosis, kb: KnowledgeBase) -> str | None:
    """What a live probe should check for this paste: its host (and port, if a submission port), or the
    provider's documented submission host when the paste names only the provider; None when neither is known."""
    facts = diagnosis.facts
    if facts.host:
        return f"{facts.host}:{facts.port}" if facts.port in SUBMISSION_PORTS else facts.host
    provider = kb.providers.get(facts.provider) if facts.provider else None
    for entry in (provider.data.get("submission") or []) if provider else []:
        host = str(entry.get("host", ""))
        if host and "<" not in host:  # "email-smtp.<region>.amazonaws.com" names no real host
            return host
    return None
