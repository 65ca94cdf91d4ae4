"""The knowledge base in memory: immutable, indexed, patterns compiled. Built by bot.kb.load."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.kb.patterns import PatternBank

__all__ = ["Cause", "Client", "Conditions", "FactReader", "KnowledgeBase", "LintRule", "Provider", "Signal"]


@dataclass(frozen=True, kw_only=True)
class Conditions:
    """Facts that must all hold (empty = always). Pattern conditions are indices into the PatternBank."""

    provider: frozenset[str] = frozenset()
    not_provider: frozenset[str] = frozenset()
    client: frozenset[str] = frozenset()
    port: frozenset[int] = frozenset()
    tls_mode: frozenset[str] = frozenset()
    username_form: frozenset[str] = frozenset()
    language: frozenset[str] = frozenset()
    secret: frozenset[str] = frozenset()
    flag: frozenset[str] = frozenset()
    not_flag: frozenset[str] = frozenset()
    has_pattern: int | None = None
    lacks_pattern: int | None = None


@dataclass(frozen=True, kw_only=True)
class Signal:
    """One weighted piece of evidence for a cause (or for is_smtp)."""

    weight: float
    patterns: tuple[int, ...] = ()      # indices into the PatternBank; any one fires the signal
    reply_code: int | None = None
    enhanced_code: str | None = None    # "5.7.8" or a subclass prefix "5.7."
    when: Conditions = Conditions()
    why: str | None = None
    source: str = ""                    # "causes/bad_credentials.yaml#signals[3]", for kb check and debugging


@dataclass(frozen=True, kw_only=True)
class Cause:
    """A taxonomy cause with its detection rules, fix templates and examples."""

    id: str
    title: str
    summary: str
    status: str
    signals: tuple[Signal, ...]
    confusable: Mapping[str, str]       # other cause id -> the fact or check that decides
    fix: Mapping[str, Any]              # default / providers / client / clients templates (source text)
    references: tuple[Mapping[str, str], ...]
    examples: Mapping[str, tuple[str, ...]]
    path: str


@dataclass(frozen=True, kw_only=True)
class FactReader:
    """A pattern with a named group `v` that reads one setting (port, tls_mode, …) out of config."""

    fact: str
    pattern: int
    values: Mapping[str, str]


@dataclass(frozen=True, kw_only=True)
class Provider:
    """A mail provider: recognisers and the facts fixes quote (hosts, ports, username form, app passwords)."""

    id: str
    name: str
    hosts: frozenset[str]
    host_suffixes: tuple[str, ...]
    domains: frozenset[str]
    patterns: tuple[int, ...]
    names: tuple[int, ...]              # whole-word name patterns
    data: Mapping[str, Any]
    path: str


@dataclass(frozen=True, kw_only=True)
class Client:
    """A mail library or application: recognisers, fact readers and its setting names."""

    id: str
    name: str
    language: str
    patterns: tuple[int, ...]
    weight: float
    facts: tuple[FactReader, ...]
    data: Mapping[str, Any]
    path: str


@dataclass(frozen=True, kw_only=True)
class LintRule:
    """A settings contradiction that points to a cause."""

    id: str
    cause: str
    weight: float
    when: Mapping[str, Any]
    message: str
    examples: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, kw_only=True)
class KnowledgeBase:
    """Everything in knowledge/, validated and compiled."""

    causes: Mapping[str, Cause]
    providers: Mapping[str, Provider]
    clients: Mapping[str, Client]
    lint_rules: tuple[LintRule, ...]
    smtp_signals: tuple[Signal, ...]
    smtp_threshold: float
    smtp_examples: Mapping[str, tuple[str, ...]]
    bank: PatternBank
    directory: str
    # Derived once per knowledge base, filled lazily: compiled jinja2 templates, the host pattern, the owner index.
    cache: dict[Any, Any] = field(default_factory=dict, compare=False)
