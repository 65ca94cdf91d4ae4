"""README's examples are what the tool prints today (issue 12 §5, §6): check them, or write them again.

    .venv/bin/python scripts/readme_examples.py          # exit 1 and say which example differs
    .venv/bin/python scripts/readme_examples.py --write  # regenerate every example in README.md

An example is a block between `<!-- example:KIND -->` and `<!-- /example:KIND -->` holding two fenced blocks: the
paste, then the output. KIND `answer` is the terminal answer (`smtp-help diagnose` into a pipe: no bold, no
wrapping), KIND `json` is `smtp-help diagnose --json`. tests/render/test_readme_examples.py runs the check.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = "```"


def render(kind: str, paste: str) -> str:
    """What the tool prints for `paste` (without the final newline)."""
    from bot.commands.diagnose import answer_object
    from bot.diagnose import diagnose
    from bot.kb import load_knowledge_base
    from bot.render.text import render_text

    kb = load_knowledge_base()
    d = diagnose(paste, kb=kb)
    if kind == "json":
        return json.dumps(answer_object(d, kb), ensure_ascii=False, indent=2)
    if kind == "answer":
        return render_text(d, kb).rstrip("\n")
    raise ValueError(f"unknown example kind {kind!r}")


def _blocks(lines: list[str], start: int, end: int) -> list[tuple[int, int]]:
    """(first content line, line after the content) of each fenced block in lines[start:end]."""
    out, i = [], start
    while i < end:
        if lines[i].startswith(FENCE):
            j = i + 1
            while j < end and not lines[j].startswith(FENCE):
                j += 1
            out.append((i + 1, j))
            i = j + 1
        else:
            i += 1
    return out


def examples(text: str) -> list[tuple[str, str, str, tuple[int, int]]]:
    """(kind, paste, output shown, the output block's line span) of every example in README text."""
    lines = text.split("\n")
    out = []
    for i, line in enumerate(lines):
        if line.startswith("<!-- example:") and line.endswith("-->"):
            kind = line[len("<!-- example:"):-len("-->")].strip()
            end = lines.index(f"<!-- /example:{kind} -->", i)
            blocks = _blocks(lines, i, end)
            if len(blocks) != 2:
                raise ValueError(f"README example {kind!r} needs two fenced blocks (paste, output)")
            (p0, p1), (o0, o1) = blocks
            out.append((kind, "\n".join(lines[p0:p1]), "\n".join(lines[o0:o1]), (o0, o1)))
    return out


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    found = examples(text)
    if not found:
        print("README.md has no <!-- example:KIND --> blocks", file=sys.stderr)
        return 1
    lines = text.split("\n")
    stale = []
    for kind, paste, shown, (o0, o1) in reversed(found):  # from the bottom, so earlier spans stay valid
        now = render(kind, paste)
        if now != shown:
            stale.append(kind)
            lines[o0:o1] = now.split("\n")
    if stale and "--write" in argv:
        README.write_text("\n".join(lines), encoding="utf-8")
        print(f"README.md: rewrote {', '.join(reversed(stale))}")
        return 0
    if stale:
        print(f"README.md: stale example(s) {', '.join(reversed(stale))}: run "
              f"`.venv/bin/python scripts/readme_examples.py --write`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
