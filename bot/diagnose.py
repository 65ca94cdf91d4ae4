"""The diagnosis pipeline: normalise → redact → extract → lint → classify. Pure; no I/O."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.classify import classify
from bot.extract import extract
from bot.kb.model import KnowledgeBase
from bot.lint import lint_settings
from bot.model import Diagnosis
from bot.normalize import normalize
from bot.redact import redact
from bot.transcript import read_transcript

if TYPE_CHECKING:
    from bot.probe.report import ProbeReport

__all__ = ["CHANNEL_THRESHOLD", "channel_reply", "diagnose"]

# Unasked answers in a channel need this confidence. Set from the reliability table on the project's own corpora
# (README, "Confidence"): answers at >= 0.5 were right 96.5 % of the time; the bins below 0.5 were right 79-86 %.
CHANNEL_THRESHOLD = 0.5


def diagnose(text: str | bytes, *, kb: KnowledgeBase, probe: ProbeReport | None = None) -> Diagnosis:
    """Diagnose a paste (and, when given, a live probe report whose findings join the evidence)."""
    redacted = redact(normalize(text))
    transcript = read_transcript(redacted.text)
    ext = extract(redacted.text, kb, secrets=redacted.kinds)
    lint = lint_settings(ext.facts, kb)
    findings = probe.findings if probe is not None else ()
    result = classify(ext, kb, lint=lint, findings=findings)
    return Diagnosis(is_smtp=result.is_smtp, causes=result.causes, facts=ext.facts, lint=lint, findings=findings,
                     ambiguity=result.ambiguity if result.is_smtp else None, probe=probe, text=redacted.text,
                     transcript=transcript)



def channel_reply(d: Diagnosis) -> bool:
    """Whether the bot answers this paste unasked in a channel: the one decision the channel listener makes and
    `--json` reports as `channel_reply`."""
    top = d.top
    return bool(d.is_smtp and top is not None and top.id != "not_smtp" and top.confidence >= CHANNEL_THRESHOLD)
