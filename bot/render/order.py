"""The order of an answer and its one-sentence-once rule, shared by the terminal and Slack views. Pure.

An answer reads: the cause in one line, then the step that applies to THIS paste, then the rest. Evidence,
the "not sure yet" fact, settings warnings and alternatives come after, and a sentence already said above is
not said again (a long lint sentence used to show as evidence, as a warning and in the library's line).
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

import re2

__all__ = ["EVIDENCE_SHOWN", "Seen", "first_step_first", "sentences"]

# No backtracking engine on text a user can send (tests/security/test_no_backtracking.py): sentences and steps are
# split by plain scans, the condition of a fix step is read with RE2.
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False


def _re(pattern: str) -> Any:
    return re2.compile(pattern, _OPTIONS)


_SENTENCE_END = ".!?"
_CLOSERS = "\"')]"
_SENTENCE_START = "\"'(`*_•-"
# "If the error mentions Security Defaults, …" / 'If the words after 5.7.139 mention "disabled" or "x", …'
_CONDITION = _re(
    r"(?i)^\s*If\b[^:]*?\b(?:mentions?|says?|contains?|reads?|shows?)\b\s+(?P<what>[^:,]+?(?:,\s*or\b[^:,]+)?)"
    r"(?:[,:]|$)")
_QUOTED = _re(r"[\"“']([^\"”']{3,80})[\"”']")
_ARTICLE = _re(r"(?i)^(?:the|a|an)\s+")
_OR = _re(r"\s+or\s+")
EVIDENCE_SHOWN = 8  # evidence lines the terminal shows before "… and N more"
OVERLAP_WINDOW = 20  # evidence lines compared pairwise for "one line cut at two offsets" (SequenceMatcher)
REMEMBER = EVIDENCE_SHOWN  # kept lines remembered as said: what a view shows (Slack shows 8 too)
_MIN_OVERLAP = 40  # characters: two evidence lines sharing this much are one line cut at two offsets


_ASCII_FOLD = str.maketrans({chr(i): " " for i in range(128) if not chr(i).isalnum()})


def _key(text: str) -> str:
    """A sentence as compared: lower case, markup and punctuation runs folded to one space."""
    low = text.lower()
    if low.isascii():  # the common case, one C-level pass
        return " ".join(low.translate(_ASCII_FOLD).split())
    return " ".join("".join(ch if ch.isalnum() else " " for ch in low).split())


def _unbullet(line: str) -> str:
    """A line without its list bullet or step number ("- ", "• ", "3. ")."""
    stripped = line.lstrip()
    if stripped[:1] in ("-", "•", "*") and stripped[1:2].isspace():
        return stripped[2:].strip()
    digits = len(stripped) - len(stripped.lstrip("0123456789"))
    if digits and stripped[digits:digits + 1] == "." and stripped[digits + 1:digits + 2].isspace():
        return stripped[digits + 2:].strip()
    return line.strip()


def _split_sentences(line: str) -> list[str]:
    """Split after . ! or ? (and any closing quotes or brackets) where whitespace and a capital, digit, quote,
    bracket or bullet follow."""
    out, start, i, n = [], 0, 0, len(line)
    while i < n:
        if line[i] in _SENTENCE_END:
            j = i + 1
            while j < n and line[j] in _CLOSERS:
                j += 1
            k = j
            while k < n and line[k].isspace():
                k += 1
            if k > j and k < n and (line[k].isupper() or line[k].isdigit() or line[k] in _SENTENCE_START):
                out.append(line[start:j])
                start = i = k
                continue
        i += 1
    out.append(line[start:])
    return out


def sentences(text: str) -> list[str]:
    """The sentences of a line (list bullets and step numbers are not sentences of their own)."""
    out = []
    for line in text.splitlines():
        out += [s.strip() for s in _split_sentences(_unbullet(line)) if s.strip()]
    return out


class Seen:
    """What the answer has said so far; `keep` gives back only what is new, in the order given."""

    def __init__(self, *said: str) -> None:
        self._keys: set[str] = set()
        self._lines: list[str] = []
        for text in said:
            self.add(text)

    def add(self, text: str) -> None:
        for s in sentences(text):
            k = _key(s)
            if len(k) >= 12:  # "Yes." or a bare code is not a sentence worth policing
                self._keys.add(k)
        k = _key(text)
        if k:
            self._lines.append(k)

    def said(self, sentence: str) -> bool:
        """This sentence was said already (word for word, or inside a longer line that was)."""
        k = _key(sentence)
        return len(k) >= 12 and (k in self._keys or any(k in line for line in self._lines if len(k) >= 30))

    def new_part(self, text: str) -> str:
        """`text` without the sentences already said ('' when nothing is left); remembers what it returns."""
        kept = [s for s in sentences(text) if not self.said(s)]
        out = " ".join(kept)
        if out:
            self.add(out)
        return out

    def keep(self, lines: Iterable[str], *, whole: bool = False) -> list[str]:
        """The lines not said yet, every one of them (a view that shows the first few counts the rest from this
        list, so "… and N more" is right however many there are). `whole`: a line is kept or dropped whole
        (evidence quotes the paste, and a quote is not cut); of lines that are one line cut at two offsets, only
        the longest is kept. Bounded on hostile input: the cut-at-two-offsets comparison (quadratic) runs among
        the first OVERLAP_WINDOW lines, later lines drop only exact repeats; only the first REMEMBER lines kept
        are remembered as said (no view shows more)."""
        given = list(lines)
        if not whole:
            return [part for part in (self.new_part(line) for line in given) if part]
        keys = [_key(line)[:300] for line in given]
        window = keys[:OVERLAP_WINDOW]
        seen_keys: set[str] = set()
        out: list[str] = []
        for i, line in enumerate(given):
            k = keys[i]
            if not k or k in seen_keys:
                continue
            if i < OVERLAP_WINDOW and any(_overlap(k, o) and (len(o), -j) > (len(k), -i)
                                          for j, o in enumerate(window) if j != i):
                continue  # a longer cut of the same line is shown instead
            if all(self.said(s) for s in sentences(line)):
                continue
            seen_keys.add(k)
            if len(out) < REMEMBER:
                self.add(line)
            out.append(line)
        return out


def _overlap(a: str, b: str) -> bool:
    """`a` and `b` are one line cut at two offsets: they share a long run, or one holds most of the other."""
    short = min(len(a), len(b))
    if short < 12:
        return False
    m = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return m.size >= min(_MIN_OVERLAP, short) or m.size >= 0.8 * short


def _step_number(line: str) -> bool:
    digits = len(line) - len(line.lstrip("0123456789"))
    return bool(digits) and line[digits:digits + 1] == "." and line[digits + 1:digits + 2].isspace()


def _split_steps(text: str) -> tuple[str, list[str], str]:
    """(text before step 1, the numbered steps without their numbers, text after the last step's paragraph)."""
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if _step_number(line)]
    if len(starts) < 2:
        return text, [], ""
    head = "".join(line + "\n" for line in lines[:starts[0]])
    body_lines = lines[starts[0]:]
    tail = ""
    if "" in body_lines:
        cut = body_lines.index("")
        tail = "\n" + "\n".join(body_lines[cut:])
        body_lines = body_lines[:cut]
    steps: list[str] = []
    for line in body_lines:
        if _step_number(line):
            digits = len(line) - len(line.lstrip("0123456789"))
            steps.append(line[digits + 2:])
        elif steps:
            steps[-1] += "\n" + line
    return head, steps, tail


@lru_cache(maxsize=4096)   # a fix's steps are knowledge text: the same few hundred strings again and again
def _conditions(step: str) -> tuple[str, ...]:
    m = _CONDITION.match(step)
    if not m:
        return ()
    what = m.group("what")
    quoted = _QUOTED.findall(what)
    if quoted:
        return tuple(q.strip() for q in quoted)
    return tuple(p.strip(" .") for p in _OR.split(_ARTICLE.sub("", what.strip())))


@lru_cache(maxsize=2)
def _paste_key(paste: str) -> str:
    """The paste as compared, padded; one answer renders several fixes (--json: plain and mrkdwn per cause) of
    the same paste, and a 48 KB paste is folded once."""
    return f" {_key(paste)} "


def first_step_first(fix: str, paste: str) -> str:
    """The fix with the step that applies to this paste first: a step that says "If the error mentions X"
    moves to the top when the paste does say X; the others keep their order and are renumbered."""
    head, steps, tail = _split_steps(fix)
    if not steps or not paste:
        return fix
    wanted = [[k for k in (_key(c) for c in _conditions(step)) if len(k) >= 4] for step in steps]
    if not any(wanted[1:]):  # no later step has a condition: nothing can move (and the paste is not read)
        return fix
    low = _paste_key(paste)
    hit = next((i for i, keys in enumerate(wanted) if any(f" {k} " in low for k in keys)), None)
    if not hit:  # None, or already first
        return fix
    steps = [steps[hit], *steps[:hit], *steps[hit + 1:]]
    return head + "\n".join(f"{n}. {s}" for n, s in enumerate(steps, 1)) + tail
