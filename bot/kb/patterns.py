"""One pass over a paste for every pattern in the knowledge base.

All patterns (causes, is_smtp signals, providers, clients, fact readers, literal phrases) are scanned in one pass
to learn which match at all; only those are run again on their own (RE2) to find the line (evidence) or the
captured value. Both engines run in time linear in the input, whatever a knowledge author writes.

The one pass is Hyperscan where it is installed (x86-64), an RE2 set elsewhere. Measured on varied pastes the set
has not seen (bench/diagnose_bench.py): the RE2 set builds its DFA lazily, and with ~700 patterns, many with
bounded repeats, a 2 KB paste cost ~14 ms and a 40 KB one ~500 ms of DFA construction; Hyperscan compiles ahead
of time and scanned the same texts in ~0.13 ms and ~3 ms. Its compile takes seconds to tens of seconds, so the
compiled database is cached on disk by the hash of the patterns (the first load after a change pays it once).
Hyperscan runs in byte mode: its UTF-8 mode lost matches when certain patterns shared a database (seen with
Hyperscan 5.4 / python-hyperscan 0.9.1; tests/core/test_pattern_scan.py checks the two engines agree on every
knowledge example and test paste). In byte mode `.` would take one byte of a multi-byte character, not the
whole character, so `.`, `[^…]`, `\\W`, `\\S` and `\\D` are rewritten to take a whole UTF-8 character, and a
case-insensitive non-ASCII letter is written out in its cases, `(?:É|é)` (_byte_mode); patterns where a rewrite
would not be exact (non-ASCII inside a class, `(?s)`, Unicode classes) and those Hyperscan cannot take (an anchor
inside the pattern) stay in a small RE2 set.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import re2

hyperscan: Any
try:  # the compiled core ships as wheels for x86-64; elsewhere the RE2 set does all the work
    import hyperscan
except ImportError:  # pragma: no cover - depends on the platform
    hyperscan = None

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


HS_CACHE_DIR = Path(tempfile.gettempdir()) / "smtp-help-kb-cache"
# An unescaped `.`, \W, \S, \D or a negated class: in byte mode these see a non-ASCII character as several bytes.


_UTF8_CHAR = r"[\xc0-\xff][\x80-\xbf]{1,3}"
_BYTE_CLASSES = {"W": "0-9A-Za-z_", "S": "\\t\\n\\f\\r ", "D": "0-9"}


def _case_variants(ch: str) -> str:
    """A non-ASCII letter and its other cases as a byte-mode alternation ("é" -> "(?:É|é)"), as RE2's (?i) folds."""
    variants = {v for v in (ch, ch.lower(), ch.upper(), ch.upper().lower(), ch.lower().upper()) if len(v) == 1}
    return "(?:" + "|".join(sorted(variants)) + ")" if len(variants) > 1 else ch


def _byte_mode(pattern: str, *, caseless: bool = False) -> str | None:
    """The pattern rewritten so that, run on UTF-8 bytes, it matches what RE2 matches on characters: `.`, `[^…]`,
    `\\W`, `\\S` and `\\D` each take a whole multi-byte character (a byte-mode `.` would take one byte of `’`).
    None where the rewrite would not be exact: non-ASCII in the pattern's classes, `(?s)`, Unicode classes."""
    if "(?s" in pattern or "\\p" in pattern or "\\P" in pattern or "\\Q" in pattern or "\\C" in pattern:
        return None
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            nxt = pattern[i + 1] if i + 1 < n else ""
            if nxt in _BYTE_CLASSES:
                out.append(f"(?:[^{_BYTE_CLASSES[nxt]}\\x80-\\xff]|{_UTF8_CHAR})")
            else:
                out.append(pattern[i:i + 2])
            i += 2
        elif ch == "[":
            j = i + 1
            negated = j < n and pattern[j] == "^"
            j += 1 if negated else 0
            start = j
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            if j >= n:
                return None
            body = pattern[start:j]
            if not body.isascii() or any(f"\\{c}" in body for c in "WSD"):
                return None
            out.append(f"(?:[^{body}\\x80-\\xff]|{_UTF8_CHAR})" if negated else pattern[i:j + 1])
            i = j + 1
        elif ch == ".":
            out.append(f"(?:[^\\n\\x80-\\xff]|{_UTF8_CHAR})")
            i += 1
        elif caseless and not ch.isascii() and ch.lower() != ch.upper():
            out.append(_case_variants(ch))
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _hs_parts(source: str) -> tuple[bytes, int] | None:
    """A bank source as a Hyperscan expression and flags, or None where Hyperscan would not answer as RE2 does."""
    flags = hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_ALLOWEMPTY
    pattern = source
    if pattern.startswith("(?i)"):
        pattern = pattern[4:]
        flags |= hyperscan.HS_FLAG_CASELESS
    # Hyperscan's caseless flag folds ASCII only; a non-ASCII letter is written out in its cases (É|é).
    rewritten = _byte_mode(pattern, caseless=bool(flags & hyperscan.HS_FLAG_CASELESS))
    if rewritten is not None and _UTF8_CHAR in rewritten and "\\b" in rewritten:
        # Hyperscan (python-hyperscan 0.9.1) misses some matches of a repeated UTF-8 alternative followed by \b
        # ('(?:port(?:[^\w]|<utf8>){0,4}|, ?)(?:993|143)\b' on "IMAP4_SSL('imap.example.com', 993)"): RE2 answers.
        return None
    return None if rewritten is None else (rewritten.encode("utf-8"), flags)


def _hs_compile(entries: list[tuple[int, bytes, int]]) -> Any:
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(expressions=[e for _, e, _ in entries], ids=[i for i, _, _ in entries],
                     flags=[f for _, _, f in entries])
    return database


def _hs_build(sources: list[str], cache_dir: Path | None) -> tuple[Any, list[int]]:
    """The Hyperscan database for every source it takes (cached on disk), and the indices it does not take."""
    entries, rejected = [], []
    for index, source in enumerate(sources):
        parts = _hs_parts(source)
        if parts is None:
            rejected.append(index)
        else:
            entries.append((index, *parts))
    digest = hashlib.sha256(repr((getattr(hyperscan, "__version__", ""), entries)).encode()).hexdigest()[:32]
    cache_file = cache_dir / f"hs-{digest}.db" if cache_dir else None
    if cache_file is not None and cache_file.exists():
        try:
            blob = cache_file.read_bytes()
            skipped = [int(x) for x in blob[:blob.index(b"\n")].split(b",") if x]
            return hyperscan.loadb(blob[blob.index(b"\n") + 1:], hyperscan.HS_MODE_BLOCK), rejected + skipped
        except (OSError, ValueError, hyperscan.error):
            pass  # unreadable or from another build: compile again
    skipped = []
    try:
        database = _hs_compile(entries)
    except hyperscan.error:
        # Some expression Hyperscan cannot take (its message does not say which): find them one by one.
        good = []
        for entry in entries:
            try:
                _hs_compile([entry])
                good.append(entry)
            except hyperscan.error:
                skipped.append(entry[0])
        database = _hs_compile(good) if good else None
    if cache_file is not None and database is not None:
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(",".join(map(str, skipped)).encode() + b"\n" + hyperscan.dumpb(database))
            tmp.replace(cache_file)
        except OSError:
            pass  # a read-only temp dir costs a compile per start, nothing else
    return database, rejected + skipped


@dataclass
class PatternBank:
    """Patterns added once at load time; `scan` returns the indices that match a text."""

    sources: list[str] = field(default_factory=list)
    compiled: list[Any] = field(default_factory=list)
    _index: dict[str, int] = field(default_factory=dict)
    _set: Any = None
    _set_ids: list[int] = field(default_factory=list)   # RE2 set position -> bank index
    _hs: Any = None
    _local: threading.local = field(default_factory=threading.local)   # one Hyperscan scratch per thread
    # Hyperscan patterns whose `.`, \W, \S, \D or [^...] would count a non-ASCII character's bytes: on a paste that
    # is not ASCII, each one Hyperscan misses is asked again of RE2 ("No s.ha pogut" against "No s’ha pogut").

    def add(self, pattern: str, *, ignore_case: bool) -> int:
        """Register a pattern (deduplicated) and return its index; raises ValueError if RE2 refuses it."""
        source = f"(?i){pattern}" if ignore_case else pattern
        if source in self._index:
            return self._index[source]
        self.compiled.append(compile_pattern(pattern, ignore_case=ignore_case))
        self.sources.append(source)
        self._index[source] = len(self.sources) - 1
        return self._index[source]

    def freeze(self, *, cache_dir: Path | None = HS_CACHE_DIR, use_hyperscan: bool = True) -> None:
        """Build the scanners; call once after the last add."""
        rest = list(range(len(self.sources)))
        if hyperscan is not None and use_hyperscan and self.sources:
            self._hs, rest = _hs_build(self.sources, cache_dir)
        self._set_ids = rest
        self._set = None
        if rest:
            regex_set = re2.Set.SearchSet(_OPTIONS)
            for index in rest:
                regex_set.Add(self.sources[index])
            regex_set.Compile()
            self._set = regex_set

    def scan(self, data: bytes) -> frozenset[int]:
        """Indices of every pattern that matches somewhere in the paste's bytes."""
        if not data:
            return frozenset()
        found: set[int] = set()
        if self._set is not None:
            ids = self._set_ids
            found.update(ids[i] for i in self._set.Match(data) or ())
        if self._hs is not None:
            def hit(index: int, _start: int, _end: int, _flags: int, _context: Any) -> None:
                found.add(index)
            scratch = getattr(self._local, "scratch", None)
            if scratch is None:
                scratch = self._local.scratch = hyperscan.Scratch(self._hs)
            self._hs.scan(data, match_event_handler=hit, scratch=scratch)
        return frozenset(found)

    def first(self, index: int, data: bytes) -> Any:
        """The first match of one pattern in the paste's bytes (offsets are byte offsets), or None."""
        return self.compiled[index].search(data)
