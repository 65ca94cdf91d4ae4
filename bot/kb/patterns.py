"""One pass over a paste for every pattern in the knowledge base.

All patterns (causes, is_smtp signals, providers, clients, fact readers) go into one RE2 set, so a paste is
scanned once to learn which patterns match at all; only those are run again on their own to find the line
(evidence) or the captured value. RE2 runs in time linear in the input, whatever a knowledge author writes.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import re2

__all__ = ["MAX_MATCHES", "MAX_PATTERN_LENGTH", "MAX_PROGRAM_SIZE", "PatternBank", "compile_pattern", "first",
           "group", "iterate", "line_at"]

MAX_PATTERN_LENGTH = 500
MAX_PROGRAM_SIZE = 5000   # bounded counters ({1,512}) inflate RE2 programs; keep KB patterns lean
MAX_LINE = 240            # evidence lines are cut to this
# Matches read per pattern and paste. Duplicates are dropped anyway; a crafted paste made of nothing but
# "535 5.7.8" lines must cost no more than an ordinary one.
MAX_MATCHES = 64


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


# Patterns run on the paste's UTF-8 bytes, encoded once: the binding then neither re-encodes the text nor maps
# byte offsets back to characters on every call, which cost more than the matching itself.

def iterate(regex: Any, data: bytes, limit: int = MAX_MATCHES) -> Iterator[Any]:
    """At most `limit` matches of a compiled pattern in the paste's bytes."""
    return itertools.islice(regex.finditer(data), limit)


def first(regex: Any, data: bytes) -> Any:
    """The first match in the paste's bytes, or None."""
    return regex.search(data)


def group(match: Any, index: int | str = 1) -> str:
    """A matched group as text ("" when the group did not take part)."""
    value = match.group(index)
    return value.decode("utf-8", "replace") if value else ""


def line_at(data: bytes, start: int, end: int) -> str:
    """The line around data[start:end] (byte offsets), stripped and cut to MAX_LINE characters."""
    lo = data.rfind(b"\n", 0, start) + 1
    hi = data.find(b"\n", end)
    if hi < 0:
        hi = len(data)
    line = data[lo:hi].decode("utf-8", "replace").strip()
    if len(line) <= MAX_LINE:
        return line
    before = len(data[lo:start].decode("utf-8", "replace"))
    offset = max(0, before - MAX_LINE // 3)
    return ("…" if offset else "") + line[offset:offset + MAX_LINE].strip() + "…"


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

    def scan(self, data: bytes) -> frozenset[int]:
        """Indices of every pattern that matches somewhere in the paste's bytes."""
        if self._set is None or not data:
            return frozenset()
        return frozenset(self._set.Match(data) or ())

    def first(self, index: int, data: bytes) -> Any:
        """The first match of one pattern in the paste's bytes (offsets are byte offsets), or None."""
        return self.compiled[index].search(data)
