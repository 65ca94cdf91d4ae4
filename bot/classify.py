"""Rank the taxonomy causes for one paste: weighted signals from knowledge/, plus lint issues and probe findings.

Each cause's score is the sum of the weights of its signals that fire (a pattern, a reply code, an enhanced
status code, or a condition on the extracted facts). Confidence combines the score's strength with its share of
all positive scores, so a lone weak hit is not reported as certain. Pure; no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from bot.extract import Extraction
from bot.kb.model import HINT_CAP, Conditions, KnowledgeBase, Signal
from bot.kb.patterns import line_at
from bot.model import CauseMatch, Evidence, Facts, Finding, LintIssue

__all__ = ["Classification", "classify", "deciding_fact", "fires", "score_signals"]

MAX_CAUSES = 5
MAX_EVIDENCE = 5
FINDING_WEIGHT = 9.0        # a decisive live observation is the server's own reply: a message and its code
HINT_WEIGHT = 1.5           # a non-decisive observation: supports a cause the paste already points to
STRENGTH_SCALE = 4.0        # score at which strength reaches 1 - 1/e
OTHER_SMTP = "other_smtp"
CAUSE_SHARE = 1.0           # how much of the best cause's score counts toward is_smtp
CAUSE_CAP = 6.0
MIN_CONTEXT = 1.0           # is_smtp needs at least this much SMTP context of its own
ALONE_MARGIN = 3.0          # SMTP context this far above the threshold makes a paste SMTP with no cause matched
# A confusable runner-up at a quarter of the top score is still worth naming the deciding fact for: Gmail's
# 535 5.7.8 reads as a wrong password, yet the usual fix is an app password.
AMBIGUITY_RATIO = 0.2


@dataclass(frozen=True)
class Classification:
    """Ranked causes, whether the paste is about SMTP at all, and what decides between close candidates."""

    causes: tuple[CauseMatch, ...]
    is_smtp: bool
    smtp_score: float
    ambiguity: str | None


def _holds(cond: Conditions, facts: Facts, matched: frozenset[int]) -> bool:
    if cond.provider and facts.provider not in cond.provider:
        return False
    if cond.not_provider and facts.provider in cond.not_provider:
        return False
    if cond.client and facts.client not in cond.client:
        return False
    if cond.not_client and facts.client in cond.not_client:
        return False
    if cond.port and facts.port not in cond.port:
        return False
    if cond.not_port and facts.port in cond.not_port:
        return False
    if cond.tls_mode and facts.tls_mode not in cond.tls_mode:
        return False
    if cond.not_tls_mode and facts.tls_mode in cond.not_tls_mode:
        return False
    if cond.username_form and facts.username_form not in cond.username_form:
        return False
    if cond.language and facts.language not in cond.language:
        return False
    if cond.secret and not cond.secret.intersection(facts.secrets):
        return False
    if cond.flag and not cond.flag.issubset(facts.flags):
        return False
    if cond.not_flag and cond.not_flag.intersection(facts.flags):
        return False
    if cond.failed_step and facts.failed_step not in cond.failed_step:
        return False
    if cond.failed_code and facts.failed_code not in cond.failed_code:
        return False
    if cond.has_pattern is not None and cond.has_pattern not in matched:
        return False
    return not (cond.lacks_pattern is not None and cond.lacks_pattern in matched)


def _enhanced_hit(code: str, facts: Facts) -> str | None:
    return next((c for c in facts.enhanced_codes if c == code or (code.endswith(".") and c.startswith(code))), None)


def fires(signal: Signal, ext: Extraction) -> bool:
    """Whether a signal fires: any one of its phrases or patterns (a set lookup), and its reply code, and its
    enhanced code, and its conditions."""
    facts = ext.facts
    triggers = signal.triggers
    if triggers and not any(i in ext.matched for i in triggers):
        return False
    if signal.reply_code is not None and signal.reply_code not in facts.reply_codes:
        return False
    if signal.enhanced_code is not None and _enhanced_hit(signal.enhanced_code, facts) is None:
        return False
    return _holds(signal.when, facts, ext.matched)


def _line(signal: Signal, ext: Extraction, kb: KnowledgeBase) -> str:
    """The evidence a fired signal shows: the line of the paste it matched, or its reason."""
    if signal.triggers:
        index = next(i for i in signal.triggers if i in ext.matched)
        m = kb.bank.first(index, ext.data)
        if m is not None:
            return line_at(ext.data, m.start(), m.end())
    if signal.reply_code is not None:
        key = str(signal.reply_code)
        return ext.code_lines.get(key, f"reply code {key}")
    if signal.enhanced_code is not None:
        hit = _enhanced_hit(signal.enhanced_code, ext.facts) or signal.enhanced_code
        return ext.code_lines.get(hit, f"enhanced status code {hit}")
    return signal.why or "settings"


def _evidence(fired: list[Signal], ext: Extraction, kb: KnowledgeBase, limit: int) -> list[str]:
    """Up to `limit` distinct evidence lines, strongest signal first; searched only for causes shown."""
    lines: list[str] = []
    for signal in sorted((s for s in fired if s.weight > 0), key=lambda s: -s.weight):
        line = _line(signal, ext, kb)
        if line not in lines:
            lines.append(line)
            if len(lines) == limit:
                break
    return lines


def score_signals(signals: Iterable[Signal], ext: Extraction) -> tuple[float, list[Signal]]:
    """A cause's score from the signals that fire, and those signals.

    Each kind of evidence counts once, at its strongest: the best message, the best code, the best condition, the
    hints (together at most HINT_CAP) and the strongest `against`. Many files quote the same reply (Gmail's page, the
    RFC, the library printing it): one line of a paste is one piece of evidence, however many files know it. Older
    weighted signals (no kind) add up as before.
    """
    fired = [signal for signal in signals if fires(signal, ext)]
    best: dict[str, float] = {}
    hints = legacy = 0.0
    for signal in fired:
        if signal.kind is None:
            legacy += signal.weight
        elif signal.kind == "hint":
            hints += signal.weight
        elif signal.kind == "against":
            best["against"] = min(best.get("against", 0.0), signal.weight)
        else:
            best[signal.kind] = max(best.get(signal.kind, 0.0), signal.weight)
    return legacy + sum(best.values()) + min(hints, HINT_CAP), fired


def _confidence(score: float, total: float) -> float:
    strength = 1.0 - math.exp(-score / STRENGTH_SCALE)
    share = score / total if total > 0 else 0.0
    return round(max(0.0, min(1.0, strength * (0.45 + 0.55 * share))), 3)


def classify(ext: Extraction, kb: KnowledgeBase, *, lint: Iterable[LintIssue] = (),
             findings: Iterable[Finding] = ()) -> Classification:
    """Ranked causes with confidence and evidence, is_smtp, and the deciding fact when the top two are close."""
    scores: dict[str, float] = {}
    fired: dict[str, list[Signal]] = {}
    extra: dict[str, list[Evidence]] = {}  # evidence from lint and the live probe, shown first
    index = kb.signal_index
    if index is None:   # a knowledge base built without its index (never by load_knowledge_base)
        for cid, signals in kb.signals_by_cause.items():
            scores[cid], fired[cid] = score_signals(signals, ext)
    else:
        facts = ext.facts
        candidates = index.candidates(ext.matched, facts.reply_codes, facts.enhanced_codes)
        for cid, signals in kb.signals_by_cause.items():
            positions = candidates.get(cid)
            scores[cid], fired[cid] = score_signals([signals[i] for i in positions] if positions else (), ext)
    weights = {rule.id: rule.weight for rule in kb.lint_rules}
    for issue in lint:
        scores[issue.cause] = scores.get(issue.cause, 0.0) + weights.get(issue.id, 1.0)
        extra.setdefault(issue.cause, []).insert(0, Evidence("settings", issue.message))
    for finding in findings:
        weight = FINDING_WEIGHT if finding.decisive else HINT_WEIGHT
        scores[finding.cause] = scores.get(finding.cause, 0.0) + weight
        extra.setdefault(finding.cause, []).insert(0, Evidence("probe", finding.detail))

    smtp_score, _ = score_signals(kb.smtp_signals, ext)
    # Text from neighbouring worlds (HTTP APIs, IMAP logins, package managers) counts against is_smtp by its kind...
    against = sum(abs(s.weight) for s in kb.not_smtp_signals if fires(s, ext))
    smtp_score -= against
    # ...and library or server wording nothing else prints makes a paste SMTP even with no other context, unless
    # the paste also carries a neighbouring world's own framing (an SES API exception quoting SES's words).
    if not against and any(s.strong for signals in fired.values() for s in signals):
        smtp_score += kb.smtp_threshold + ALONE_MARGIN
    facts = ext.facts
    if facts.client:
        smtp_score += 1.0
    if facts.provider:
        smtp_score += 1.0
    positive = {cid: s for cid, s in scores.items() if s > 0}
    best = max(positive.values(), default=0.0)
    # A strong cause match is itself evidence of SMTP ("535 Incorrect authentication data" says little else).
    evidence_score = smtp_score + CAUSE_SHARE * min(best, CAUSE_CAP)
    # ...but a cause alone never makes a paste SMTP: a certificate error from pip or curl has no SMTP context.
    is_smtp = bool(findings) or (smtp_score >= MIN_CONTEXT and evidence_score >= kb.smtp_threshold and best > 0) or \
        smtp_score >= kb.smtp_threshold + ALONE_MARGIN
    if is_smtp and not positive:
        positive = {OTHER_SMTP: 0.5}
        extra[OTHER_SMTP] = [Evidence("paste", "an SMTP problem, but no specific cause matched")]
    order = list(kb.causes)
    # Equal scores: the cause more sources agree on comes first (four files reading a certificate error as a
    # certificate problem outweigh one generic "could not connect"), then the knowledge base's order.
    support = {cid: sum(1 for s in fired.get(cid, ()) if s.weight > 0) for cid in positive}
    ranked = sorted(positive.items(),
                    key=lambda kv: (-kv[1], -support[kv[0]], order.index(kv[0]) if kv[0] in order else 99))
    total = sum(positive.values())
    causes = []
    for cid, score in ranked[:MAX_CAUSES]:
        lines = extra.get(cid, [])[:MAX_EVIDENCE]
        lines += [e for e in (Evidence("paste", line) for line in _evidence(fired.get(cid, []), ext, kb, MAX_EVIDENCE))
                  if e not in lines]
        causes.append(CauseMatch(id=cid, confidence=_confidence(score, total), evidence=tuple(lines[:MAX_EVIDENCE])))
    return Classification(causes=tuple(causes), is_smtp=is_smtp, smtp_score=smtp_score,
                          ambiguity=_ambiguity(ranked, kb, ext.facts.host))


def deciding_fact(kb: KnowledgeBase, first: str, second: str, host: str | None) -> str | None:
    """What tells `first` from `second`, as the knowledge base says it (either direction), with `{host}` filled in
    (the paste's host, else a placeholder a reader recognises as one)."""
    a, b = kb.causes.get(first), kb.causes.get(second)
    text = (a.confusable.get(second) if a else None) or (b.confusable.get(first) if b else None)
    return text.replace("{host}", host or "smtp.your-provider.example") if text else None


def _ambiguity(ranked: list[tuple[str, float]], kb: KnowledgeBase, host: str | None) -> str | None:
    """When the text cannot tell the top candidates apart, the knowledge base says which fact decides."""
    if len(ranked) < 2:
        return None
    (first, s1), (second, s2) = ranked[0], ranked[1]
    if s2 < AMBIGUITY_RATIO * s1:
        return None
    return deciding_fact(kb, first, second, host)
