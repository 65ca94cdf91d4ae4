"""No knowledge example is copied from the shared development set: run by `make test` beside the accuracy gate.

    .venv/bin/python scripts/not_from_dev.py ../shared/eval/dev.jsonl

The check lives here and not in tests/, because tests read no file outside the repository. It fails, naming the
file, on any line of more than 60 characters of a cause file's `examples` that also stands in the development set
(the check tests/test_knowledge_base.py made before). Signal examples are only counted and listed: a library's own
canonical line ("smtplib.SMTPNotSupportedError: SMTP AUTH extension not supported by server.") is the same in any
realistic paste, so a match there is not by itself a copy; those lines are for a reviewer to read.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.kb import load_knowledge_base


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: not_from_dev.py DEV.jsonl", file=sys.stderr)
        return 2
    corpus = Path(argv[0]).read_text(encoding="utf-8")
    kb = load_knowledge_base()
    cause_texts = [(c.path, t) for c in kb.causes.values()
                   for t in c.examples.get("match", ()) + c.examples.get("no_match", ())]
    signal_texts = [(c.path, t) for c in kb.causes.values() for s in c.signals for t in s.examples]
    signal_texts += [(m.path, t) for m in kb.messages.values() for s in m.signals for t in s.examples]
    copied, shared = _found(cause_texts, corpus), _found(signal_texts, corpus)
    for path, line in copied:
        print(f"{path}: example copied from the development set: {line[:60]}", file=sys.stderr)
    print(f"cause examples: {len(cause_texts)} texts, {len(copied)} lines copied from the development set; "
          f"signal examples: {len(signal_texts)} texts, {len(shared)} lines also in it (to review)")
    return 1 if copied else 0


def _found(texts: list[tuple[str, str]], corpus: str) -> list[tuple[str, str]]:
    return [(path, line) for path, text in texts for line in text.splitlines() if len(line) > 60 and line in corpus]


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
