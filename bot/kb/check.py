"""The knowledge base's self-checks: every example classifies as it says, every template renders.

Shared by `smtp-help kb check` (a list of problems for a support engineer) and the test suite (one
parametrised test per check, so a failure names the entry and the example).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from jinja2 import TemplateError

from bot.diagnose import diagnose
from bot.kb.model import KnowledgeBase
from bot.model import Evidence, Facts
from bot.render.env import render_template

__all__ = ["Check", "check_knowledge_base", "iter_checks"]

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


def iter_checks(kb: KnowledgeBase) -> Iterator[Check]:
    """Every example and every template variant, as named checks."""
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
