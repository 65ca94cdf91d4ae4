"""The knowledge base's self-checks: every example classifies as it says, every signal's examples fire it and
cover its phrases and pattern alternatives, every template renders.

It sits above the pipeline it runs (bot.diagnose), never inside bot/kb. Shared by `smtp-help kb check` (a list of
problems for a support engineer, one line each naming the file, the signal id and the field) and the test suite
(one parametrised test per check).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from jinja2 import TemplateError

from bot.classify import fires
from bot.diagnose import diagnose, read_paste
from bot.extract import Extraction
from bot.kb.model import KnowledgeBase, Signal
from bot.kb.patterns import compile_pattern
from bot.model import Evidence, Facts
from bot.render.env import render_template

__all__ = ["Check", "check_knowledge_base", "iter_checks", "signal_checks", "top_level_alternatives"]

# "…with STARTTLS.4. Do not…": a numbered step glued to the end of the previous one.
_RUN_TOGETHER = re.compile(r"(?:(?<!\d)\.|\))\d{1,2}\. [A-Z]")   # not "OAuth 2.0. The"


@dataclass(frozen=True)
class Check:
    """One named self-check; `run` returns None when it passes, else the problem in one line."""

    name: str
    run: Callable[[], str | None]
    expected_failure: bool = False


def _short(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first[:70] + ("…" if len(first) > 70 else "")


def _cause_example(kb: KnowledgeBase, cause_id: str, text: str, should_match: bool) -> Callable[[], str | None]:
    def run() -> str | None:
        d = diagnose(text, kb=kb)
        top = d.top.id if d.is_smtp and d.top else "not_smtp"
        if should_match and top != cause_id:
            ranked = ", ".join(f"{c.id} {c.confidence:.2f}" for c in d.causes[:3]) or "no cause"
            return f"expected {cause_id} first for {_short(text)!r}; got {ranked} (is_smtp={d.is_smtp})"
        if not should_match and top == cause_id:
            return f"{cause_id} must not come first for {_short(text)!r}"
        return None
    return run


def _smtp_example(kb: KnowledgeBase, text: str, expected: bool) -> Callable[[], str | None]:
    def run() -> str | None:
        d = diagnose(text, kb=kb)
        return None if d.is_smtp == expected else f"is_smtp should be {expected} for {_short(text)!r}"
    return run


def _lint_example(kb: KnowledgeBase, rule_id: str, text: str, expected: bool) -> Callable[[], str | None]:
    def run() -> str | None:
        fired = any(i.id == rule_id for i in diagnose(text, kb=kb).lint)
        if fired == expected:
            return None
        return f"lint rule {rule_id} should {'' if expected else 'not '}fire for {_short(text)!r}"
    return run


def _render(kb: KnowledgeBase, source: str, facts: Facts,
            evidence: tuple[Evidence, ...] = ()) -> Callable[[], str | None]:
    def run() -> str | None:
        provider = kb.providers.get(facts.provider) if facts.provider else None
        client = kb.clients.get(facts.client) if facts.client else None
        try:
            for mrkdwn in (False, True):
                text = render_template(kb, source, facts=facts, provider=provider, client=client, mrkdwn=mrkdwn,
                                       evidence=evidence)
                if not text.strip():
                    return "renders to nothing"
                if _RUN_TOGETHER.search(text):
                    return f"two numbered steps run together: {_RUN_TOGETHER.search(text).group(0)!r}"  # type: ignore[union-attr]
        except TemplateError as exc:
            return f"template error: {exc}"
        return None
    return run


def _facts_and_evidence(kb: KnowledgeBase, cause_id: str, text: str) -> tuple[Facts, tuple[Evidence, ...]]:
    """An example's facts and the evidence lines its cause got: what the fix template will be given."""
    d = diagnose(text, kb=kb)
    match = next((c for c in d.causes if c.id == cause_id), None)
    return d.facts, match.evidence if match else ()


def top_level_alternatives(pattern: str) -> list[str]:
    """`a(?:b|c)|d` -> ["a(?:b|c)", "d"]: the pattern split at its top-level `|` (not inside groups or classes)."""
    parts, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if pattern[i + 1:i + 2] == "^":
                i += 1
            if pattern[i + 1:i + 2] == "]":   # a leading "]" is a literal inside the class
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


class _Extractions:
    """Each example read once, as the engine reads a paste (normalise, redact, extract)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._seen: dict[str, Extraction] = {}

    def __call__(self, text: str) -> Extraction:
        if text not in self._seen:
            self._seen[text] = read_paste(text, self.kb)[1]
        return self._seen[text]


def _why_not(signal: Signal, ext: Extraction) -> str:
    """Which of a signal's triggers an example misses."""
    facts = ext.facts
    if signal.triggers and not any(i in ext.matched for i in signal.triggers):
        return "no phrase or pattern of the signal matches it"
    if signal.reply_code is not None and signal.reply_code not in facts.reply_codes:
        return f"reply code {signal.reply_code} is not read from it (read: {list(facts.reply_codes) or 'none'})"
    if signal.enhanced_code is not None and not any(
            c == signal.enhanced_code or (signal.enhanced_code.endswith(".") and c.startswith(signal.enhanced_code))
            for c in facts.enhanced_codes):
        code = signal.enhanced_code + ("*" if signal.enhanced_code.endswith(".") else "")
        return f"enhanced code {code} is not read from it (read: {list(facts.enhanced_codes) or 'none'})"
    shown = {k: v for k, v in (("provider", facts.provider), ("client", facts.client), ("port", facts.port),
                                 ("tls_mode", facts.tls_mode), ("username_form", facts.username_form),
                                 ("flags", list(facts.flags))) if v}
    return f"its `when` does not hold (facts read: {shown or 'none'})"


def _example_fires(signal: Signal, text: str, read: _Extractions) -> Callable[[], str | None]:
    def run() -> str | None:
        ext = read(text)
        return None if fires(signal, ext) else f"does not fire the signal: {_why_not(signal, ext)} ({_short(text)!r})"
    return run


def _example_does_not_fire(signal: Signal, text: str, read: _Extractions) -> Callable[[], str | None]:
    def run() -> str | None:
        return f"fires the signal, and must not ({_short(text)!r})" if fires(signal, read(text)) else None
    return run


def _phrase_hit(signal: Signal, j: int, read: _Extractions) -> Callable[[], str | None]:
    def run() -> str | None:
        index = signal.phrases[j]
        if any(index in read(text).matched for text in signal.examples):
            return None
        return f"{signal.phrase_texts[j]!r} is hit by no example of this signal: add one, or drop the phrase"
    return run


def _alternative_hit(signal: Signal, j: int, alternative: str, read: _Extractions) -> Callable[[], str | None]:
    def run() -> str | None:
        try:
            regex = compile_pattern(alternative, ignore_case=True)
        except ValueError as exc:
            return f"alternative {alternative!r} does not compile on its own ({exc})"
        if any(regex.search(read(text).data) for text in signal.examples):
            return None
        return f"alternative {alternative!r} is hit by no example of this signal: add one, or drop the alternative"
    return run


def signal_checks(kb: KnowledgeBase, signals: Iterator[Signal] | tuple[Signal, ...], read: _Extractions | None = None
                  ) -> Iterator[Check]:
    """Every example of a signal fires it and no `not_examples` text does; every phrase and top-level pattern
    alternative is hit by an example."""
    read = read or _Extractions(kb)
    for signal in signals:
        if not signal.kind:
            continue   # an older weighted signal: no examples of its own
        path, where = signal.location.split("#", 1)
        base = f"{path}: {where}({signal.id.split('.', 1)[1]})"
        for i, text in enumerate(signal.examples):
            yield Check(f"{base}.examples[{i}]", _example_fires(signal, text, read))
        for i, text in enumerate(signal.not_examples):
            yield Check(f"{base}.not_examples[{i}]", _example_does_not_fire(signal, text, read))
        for j, _phrase in enumerate(signal.phrase_texts):
            yield Check(f"{base}.phrases[{j}]", _phrase_hit(signal, j, read))
        for j, pattern in enumerate(signal.pattern_texts):
            alternatives = top_level_alternatives(pattern)
            for k, alternative in enumerate(alternatives):
                name = f"{base}.patterns[{j}]" + (f" alternative {k + 1}" if len(alternatives) > 1 else "")
                yield Check(name, _alternative_hit(signal, j, alternative, read))


def iter_checks(kb: KnowledgeBase) -> Iterator[Check]:
    """Every example, every signal's coverage and every template variant, as named checks."""
    read = _Extractions(kb)
    for message_file in kb.messages.values():
        yield from signal_checks(kb, message_file.signals, read)
    for cause in kb.causes.values():
        yield from signal_checks(kb, cause.signals, read)
    for cause in kb.causes.values():
        base = cause.path
        for kind, should in (("match", True), ("no_match", False), ("todo_match", True)):
            for i, text in enumerate(cause.examples.get(kind, ())):
                yield Check(f"{base}:examples.{kind}[{i}]", _cause_example(kb, cause.id, text, should),
                            expected_failure=kind == "todo_match")
        examples = [_facts_and_evidence(kb, cause.id, t) for t in cause.examples.get("match", ())]
        example_facts = [facts for facts, _ in examples] or [Facts()]
        fix = cause.fix
        for i, (facts, evidence) in enumerate(examples):
            yield Check(f"{base}:fix.default(example {i})", _render(kb, fix["default"], facts, evidence))
        # Every provider and every client, not only the examples': optional provider fields differ per file.
        facts = example_facts[0]
        for provider_id in kb.providers:
            yield Check(f"{base}:fix.default(provider {provider_id})",
                        _render(kb, fix["default"], dataclasses.replace(facts, provider=provider_id)))
        if fix.get("client"):
            for client_id in kb.clients:
                yield Check(f"{base}:fix.client({client_id})",
                            _render(kb, fix["client"], dataclasses.replace(facts, client=client_id)))
        for provider_id, source in (fix.get("providers") or {}).items():
            for i, facts in enumerate(example_facts):
                yield Check(f"{base}:fix.providers.{provider_id}(example {i})",
                            _render(kb, source, dataclasses.replace(facts, provider=provider_id)))
        for client_id, source in (fix.get("clients") or {}).items():
            for i, facts in enumerate(example_facts):
                yield Check(f"{base}:fix.clients.{client_id}(example {i})",
                            _render(kb, source, dataclasses.replace(facts, client=client_id)))
    for expected, key in ((True, "smtp"), (False, "not_smtp")):
        for i, text in enumerate(kb.smtp_examples.get(key, ())):
            yield Check(f"smtp.yaml:examples.{key}[{i}]", _smtp_example(kb, text, expected))
    for rule in kb.lint_rules:
        for provider_id in kb.providers:
            yield Check(f"lint.yaml:{rule.id}.message(provider {provider_id})",
                        _render(kb, rule.message, Facts(provider=provider_id, client="nodemailer", port=465,
                                                        host="smtp.example.com", tls_mode="starttls")))
        for expected, key in ((True, "match"), (False, "no_match")):
            for i, text in enumerate(rule.examples.get(key, ())):
                yield Check(f"lint.yaml:{rule.id}.examples.{key}[{i}]", _lint_example(kb, rule.id, text, expected))


def check_knowledge_base(kb: KnowledgeBase) -> list[str]:
    """Problems found by every check (expected failures of todo_match examples are not problems)."""
    problems = []
    for check in iter_checks(kb):
        problem = check.run()
        if problem and not check.expected_failure:
            problems.append(f"{check.name}: {problem}")
    return problems
