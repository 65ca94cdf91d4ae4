"""The order of an answer and its one-sentence-once rule, shared by the terminal and Slack views. Pure.

An answer reads: the cause in one line, then the step that applies to THIS paste, then the rest. Evidence,
the "not sure yet" fact, settings warnings and alternatives come after, and a sentence already said above is
not said again (a long lint sentence used to show as evidence, as a warning and in the library's line).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher

__all__ = ["Seen", "first_step_first", "sentences"]

_SENTENCE = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z0-9\"'(`*_•-])")
_STEP = re.compile(r"^(\d+)\.\s", re.M)
# "If the error mentions Security Defaults, …" / 'If the words after 5.7.139 mention "disabled" or "x", …'
_CONDITION = re.compile(
    r"^\s*If\b[^:]*?\b(?:mentions?|says?|contains?|reads?|shows?)\b\s+(?P<what>[^:,]+?(?:,\s*or\b[^:,]+)?)(?:[,:]|$)",
    re.I)
_QUOTED = re.compile(r"[\"“']([^\"”']{3,80})[\"”']")
_MIN_OVERLAP = 40  # characters: two evidence lines sharing this much are one line cut at two offsets


def _key(text: str) -> str:
    """A sentence as compared: lower case, markup and punctuation runs folded to one space."""
    return re.sub(r"[\W_]+", " ", text.lower()).strip()


def sentences(text: str) -> list[str]:
    """The sentences of a line (list bullets and step numbers are not sentences of their own)."""
    out = []
    for line in text.splitlines():
        line = re.sub(r"^\s*(?:[-•*]|\d+\.)\s+", "", line).strip()
        out += [s.strip() for s in _SENTENCE.split(line) if s.strip()]
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
        """The lines not said yet. `whole`: a line is kept or dropped whole (evidence quotes the paste, and a
        quote is not cut); of lines that are one line cut at two offsets, only the longest is kept."""
        given = list(lines)[:20]  # views show at most 8; bounded so hostile pastes stay linear
        if not whole:
            return [part for part in (self.new_part(line) for line in given) if part]
        keys = [_key(line)[:300] for line in given]
        out = []
        for i, line in enumerate(given):
            k = keys[i]
            if not k or any(_overlap(k, o) and (len(o), -j) > (len(k), -i)
                            for j, o in enumerate(keys) if j != i):
                continue  # a longer cut of the same line is shown instead
            if all(self.said(s) for s in sentences(line)):
                continue
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


def _split_steps(text: str) -> tuple[str, list[str], str]:
    """(text before step 1, the numbered steps without their numbers, text after the last step's paragraph)."""
    starts = [m.start() for m in _STEP.finditer(text)]
    if len(starts) < 2:
        return text, [], ""
    head = text[:starts[0]]
    body = text[starts[0]:]
    tail = ""
    cut = body.find("\n\n")
    if cut != -1:
        body, tail = body[:cut], body[cut:]
    steps = [s for s in _STEP.split(body) if s is not None]
    # split gives ['', '1', 'text', '2', 'text', …]
    texts = [steps[i + 1].rstrip("\n") for i in range(1, len(steps) - 1, 2)]
    return head, texts, tail


def _conditions(step: str) -> Sequence[str]:
    m = _CONDITION.match(step)
    if not m:
        return ()
    what = m.group("what")
    quoted = _QUOTED.findall(what)
    if quoted:
        return [q.strip() for q in quoted]
    return [p.strip(" .") for p in re.split(r"\s+or\s+", re.sub(r"^(?:the|a|an)\s+", "", what.strip(), flags=re.I))]


def first_step_first(fix: str, paste: str) -> str:
    """The fix with the step that applies to this paste first: a step that says "If the error mentions X"
    moves to the top when the paste does say X; the others keep their order and are renumbered."""
    head, steps, tail = _split_steps(fix)
    if not steps or not paste:
        return fix
    low = _key(paste)
    hit = None
    for i, step in enumerate(steps):
        if any(len(_key(c)) >= 4 and f" {_key(c)} " in f" {low} " for c in _conditions(step)):
            hit = i
            break
    if not hit:  # None, or already first
        return fix
    steps = [steps[hit], *steps[:hit], *steps[hit + 1:]]
    return head + "\n".join(f"{n}. {s}" for n, s in enumerate(steps, 1)) + tail
