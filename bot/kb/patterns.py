"""One pass over a paste for every pattern in the knowledge base.

All patterns (causes, is_smtp signals, providers, clients, fact readers) go into one RE2 set, so a paste is
scanned once to learn which patterns match at all; only those are run again on their own to find the line
(evidence) or the captured value. RE2 runs in time linear in the input, whatever a knowledge author writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import re2

__all__ = ["MAX_PATTERN_LENGTH", "MAX_PROGRAM_SIZE", "PatternBank", "compile_pattern", "line_at"]

MAX_PATTERN_LENGTH = 500
MAX_PROGRAM_SIZE = 5000   # bounded counters ({1,512}) inflate RE2 programs; keep KB patterns lean
MAX_LINE = 240            # evidence lines are cut to this


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False
    options.max_mem = 64 << 20
    return options


_OPTIONS = _options()


def compile_pattern(pattern: str, *, ignore_case: bool) -> Any:
    """Compile for RE2 (case-insensitive when asked); raise ValueError with RE2's reason when it is not valid."""
    source = f"(?i){pattern}" if ignore_case else pattern
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise ValueError(f"pattern is {len(pattern)} characters; the limit is {MAX_PATTERN_LENGTH}")
    try:
        compiled = re2.compile(source, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValueError(f"not a valid RE2 pattern ({reason}); RE2 has no look-around or back-references") from None
    if compiled.programsize > MAX_PROGRAM_SIZE:
        raise ValueError(f"pattern compiles to {compiled.programsize} RE2 instructions; the limit is "
                         f"{MAX_PROGRAM_SIZE} (replace large {{m,n}} counts with + or *)")
    return compiled


def line_at(text: str, start: int, end: int) -> str:
    """The line around text[start:end], stripped and cut to MAX_LINE characters around the match."""
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", end)
    if hi < 0:
        hi = len(text)
    line = text[lo:hi].strip()
    if len(line) <= MAX_LINE:
        return line
    offset = max(0, start - lo - MAX_LINE // 3)
    return ("…" if offset else "") + text[lo + offset:lo + offset + MAX_LINE].strip() + "…"


@dataclass
class PatternBank:
    """Patterns added once at load time; `scan` returns the indices that match a text."""

    sources: list[str] = field(default_factory=list)
    compiled: list[Any] = field(default_factory=list)
    _index: dict[str, int] = field(default_factory=dict)
    _set: Any = None

    def add(self, pattern: str, *, ignore_case: bool) -> int:
        """Register a pattern (deduplicated) and return its index; raises ValueError if RE2 refuses it."""
        source = f"(?i){pattern}" if ignore_case else pattern
        if source in self._index:
            return self._index[source]
        self.compiled.append(compile_pattern(pattern, ignore_case=ignore_case))
        self.sources.append(source)
        self._index[source] = len(self.sources) - 1
        return self._index[source]

    def freeze(self) -> None:
        """Build the RE2 set; call once after the last add."""
        regex_set = re2.Set.SearchSet(_OPTIONS)
        for source in self.sources:
            regex_set.Add(source)
        regex_set.Compile()
        self._set = regex_set

    def scan(self, text: str) -> frozenset[int]:
        """Indices of every pattern that matches somewhere in text."""
        if self._set is None or not text:
            return frozenset()
        return frozenset(self._set.Match(text) or ())

    def first(self, index: int, text: str) -> Any:
        """The first match of one pattern (re2 match object) or None."""
        return self.compiled[index].search(text)
