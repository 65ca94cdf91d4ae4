"""The knowledge base in memory: immutable, indexed, patterns compiled. Built by bot.kb.load."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.kb.patterns import PatternBank

__all__ = ["GENERIC_FACTOR", "HINT_CAP", "KINDS", "KIND_WEIGHTS", "Cause", "Client", "Conditions", "FactReader",
           "KnowledgeBase", "LintRule", "MessageFile", "Provider", "Signal", "SignalIndex"]


@dataclass(frozen=True, kw_only=True)
class Conditions:
    """Facts that must all hold (empty = always). Pattern conditions are indices into the PatternBank."""

    provider: frozenset[str] = frozenset()
    not_provider: frozenset[str] = frozenset()
    client: frozenset[str] = frozenset()
    not_client: frozenset[str] = frozenset()
    port: frozenset[int] = frozenset()
    not_port: frozenset[int] = frozenset()
    tls_mode: frozenset[str] = frozenset()
    not_tls_mode: frozenset[str] = frozenset()
    username_form: frozenset[str] = frozenset()
    language: frozenset[str] = frozenset()
    secret: frozenset[str] = frozenset()
    flag: frozenset[str] = frozenset()
    not_flag: frozenset[str] = frozenset()
    failed_step: frozenset[str] = frozenset()
    failed_code: frozenset[int] = frozenset()
    has_pattern: int | None = None
    lacks_pattern: int | None = None


# Weight by kind of evidence (issue 10 §2): few free parameters, none tuned per line.
KIND_WEIGHTS = {"message": 6.0, "code": 3.0, "condition": 2.0, "hint": 1.0, "against": -4.0}
GENERIC_FACTOR = 0.5   # `generic: true` (other software prints the same words) halves a signal's weight
HINT_CAP = 2.0    # a cause's hints together never reach a reply code's or a generic message's weight
KINDS = ("message", "code", "condition", "hint", "against")


@dataclass(frozen=True, kw_only=True)
class Signal:
    """One piece of evidence for a cause (or for is_smtp).

    Triggers combine with AND: any one of `phrases`/`patterns` (when it has some), the reply code, the enhanced
    code, and the `when` conditions. Signals in the messages format have an id, a kind (their weight comes from
    it), a citation and examples; older weighted signals (smtp.yaml) have only a weight.
    """

    weight: float
    kind: str | None = None             # message | code | condition | hint | against; None: an older weighted signal
    id: str = ""                        # "nodemailer.greeting_never_received", "tls_mismatch.wrong_version_number"
    cause: str | None = None            # the cause it counts for; "not_smtp" counts against is_smtp
    generic: bool = False               # other software prints the same words: weaker, never SMTP by itself
    phrases: tuple[int, ...] = ()       # literal phrases, as indices into the PatternBank
    patterns: tuple[int, ...] = ()      # indices into the PatternBank; any one phrase or pattern fires the signal
    reply_code: int | None = None
    enhanced_code: str | None = None    # "5.7.8" or a subclass prefix "5.7."
    when: Conditions = Conditions()
    why: str | None = None
    location: str = ""                  # "knowledge/causes/bad_credentials.yaml#detect.signals[3]", for kb check
    cite: str | None = None             # `source:` in the file: where the text was read
    phrase_texts: tuple[str, ...] = ()  # as written, for kb check
    pattern_texts: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    not_examples: tuple[str, ...] = ()   # look-alikes that must not fire it (kb check)

    @property
    def triggers(self) -> tuple[int, ...]:
        """Pattern-bank indices of the phrases and patterns (any one fires the signal)."""
        return self.phrases + self.patterns

    @property
    def strong(self) -> bool:
        """Library or server wording nothing else prints: a paste with it is about SMTP sending."""
        return self.kind == "message" and not self.generic and self.cause not in (None, "not_smtp")


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
class MessageFile:
    """knowledge/messages/<id>.yaml: what one library, app, server or provider prints, each text mapped to a cause."""

    id: str
    title: str
    client: str | None
    provider: str | None
    repository: str | None
    signals: tuple[Signal, ...]
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
    messages: Mapping[str, MessageFile] = field(default_factory=dict)
    # Built at load time: every signal that counts for a cause (its own file's, then the messages files'), and the
    # messages signals that count against is_smtp. Left empty, they are derived from `causes` and `messages`.
    signals_by_cause: Mapping[str, tuple[Signal, ...]] = field(default_factory=dict)
    not_smtp_signals: tuple[Signal, ...] = ()
    # Which signals a paste can fire at all, by what triggers them: built at load time, so classifying a paste
    # looks at the few signals its matched patterns and reply codes name instead of all ~900.
    signal_index: SignalIndex | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.signals_by_cause and self.causes:
            extra: dict[str, list[Signal]] = {}
            for message_file in self.messages.values():
                for signal in message_file.signals:
                    extra.setdefault(signal.cause or "", []).append(signal)
            object.__setattr__(self, "signals_by_cause", {cid: cause.signals + tuple(extra.get(cid, ()))
                                                           for cid, cause in self.causes.items()})
            object.__setattr__(self, "not_smtp_signals", tuple(extra.get("not_smtp", ())))
        if self.signal_index is None:
            object.__setattr__(self, "signal_index", SignalIndex.build(self.signals_by_cause))


Slot = tuple[str, int]   # (cause id, position of the signal in signals_by_cause[cause id])


@dataclass(frozen=True)
class SignalIndex:
    """Signals by trigger: a pattern index, a reply code, an enhanced code (or its class prefix), or none (a signal
    of conditions only, always looked at)."""

    by_pattern: Mapping[int, tuple[Slot, ...]]
    by_reply: Mapping[int, tuple[Slot, ...]]
    by_enhanced: Mapping[str, tuple[Slot, ...]]
    by_prefix: tuple[tuple[str, Slot], ...]
    always: tuple[Slot, ...]

    @staticmethod
    def build(signals_by_cause: Mapping[str, tuple[Signal, ...]]) -> SignalIndex:
        by_pattern: dict[int, list[Slot]] = {}
        by_reply: dict[int, list[Slot]] = {}
        by_enhanced: dict[str, list[Slot]] = {}
        by_prefix: list[tuple[str, Slot]] = []
        always: list[Slot] = []
        for cid, signals in signals_by_cause.items():
            for pos, signal in enumerate(signals):
                slot = (cid, pos)
                if signal.triggers:
                    for index in signal.triggers:
                        by_pattern.setdefault(index, []).append(slot)
                elif signal.reply_code is not None:
                    by_reply.setdefault(signal.reply_code, []).append(slot)
                elif signal.enhanced_code is not None:
                    if signal.enhanced_code.endswith("."):
                        by_prefix.append((signal.enhanced_code, slot))
                    else:
                        by_enhanced.setdefault(signal.enhanced_code, []).append(slot)
                else:
                    always.append(slot)
        return SignalIndex({k: tuple(v) for k, v in by_pattern.items()}, {k: tuple(v) for k, v in by_reply.items()},
                           {k: tuple(v) for k, v in by_enhanced.items()}, tuple(by_prefix), tuple(always))

    def candidates(self, matched: frozenset[int], reply_codes: tuple[int, ...],
                   enhanced_codes: tuple[str, ...]) -> dict[str, list[int]]:
        """For each cause, the positions of the signals that can fire on a paste with these triggers, in order."""
        slots: set[Slot] = set(self.always)
        for index in matched:
            slots.update(self.by_pattern.get(index, ()))
        for reply in reply_codes:
            slots.update(self.by_reply.get(reply, ()))
        for enhanced in enhanced_codes:
            slots.update(self.by_enhanced.get(enhanced, ()))
        if enhanced_codes:
            slots.update(slot for prefix, slot in self.by_prefix if any(c.startswith(prefix) for c in enhanced_codes))
        out: dict[str, list[int]] = {}
        for cid, pos in slots:
            out.setdefault(cid, []).append(pos)
        for positions in out.values():
            positions.sort()
        return out
