"""The diagnosis pipeline: normalise → redact → extract → lint → classify. Pure; no I/O."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from bot.classify import classify
from bot.extract import Extraction, extract
from bot.kb.model import KnowledgeBase
from bot.lint import lint_settings
from bot.model import Diagnosis
from bot.normalize import normalize
from bot.redact import Redaction, redact
from bot.transcript import Transcript, read_transcript

if TYPE_CHECKING:
    from bot.probe.report import ProbeReport

__all__ = ["CHANNEL_THRESHOLD", "channel_reply", "diagnose", "read_paste"]

# Unasked answers in a channel need this confidence. Set from the reliability table on the project's own corpora
# (README, "Confidence"): answers at >= 0.5 were right 96.5 % of the time; the bins below 0.5 were right 79-86 %.
CHANNEL_THRESHOLD = 0.5


def read_paste(text: str | bytes, kb: KnowledgeBase) -> tuple[Redaction, Extraction, Transcript | None]:
    """Normalise, redact and read a paste: its facts (with the failing step of a transcript) and its dialogue."""
    redacted = redact(normalize(text))
    transcript = read_transcript(redacted.text)
    ext = extract(redacted.text, kb, secrets=redacted.kinds)
    if transcript is not None and transcript.failed is not None:
        # The step a transcript failed at decides between causes the same reply can mean (knowledge/messages/
        # smtp_dialogue.yaml): a 530 to MAIL FROM with no AUTH is a missing login, a 535 to AUTH a refused one.
        facts = replace(ext.facts, failed_step=transcript.failed.step, failed_code=transcript.failed.code)
        ext = replace(ext, facts=facts)
    if transcript is not None:
        # The dialogue says whether AUTH was sent and accepted better than the words do ("250-AUTH PLAIN LOGIN"
        # in an EHLO reply is an offer, not an attempt).
        steps = {e.step for e in transcript.exchanges}
        accepted = any(e.code == 235 for e in transcript.exchanges)
        flags = [f for f in ext.facts.flags if f not in ("auth_attempted", "auth_succeeded")]
        if "auth" in steps or accepted or ("auth_attempted" in ext.facts.flags and "ehlo" not in steps):
            flags.append("auth_attempted")
        if accepted or "auth_succeeded" in ext.facts.flags:
            flags.append("auth_succeeded")
        ext = replace(ext, facts=replace(ext.facts, flags=tuple(flags)))
    return redacted, ext, transcript


def diagnose(text: str | bytes, *, kb: KnowledgeBase, probe: ProbeReport | None = None) -> Diagnosis:
    """Diagnose a paste (and, when given, a live probe report whose findings join the evidence)."""
    redacted, ext, transcript = read_paste(text, kb)
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
