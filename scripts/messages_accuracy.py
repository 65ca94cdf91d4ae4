#!/usr/bin/env python3
"""How often the engine ranks a messages file's own examples right.

For every signal (except kind `against`) in the given knowledge/messages files, diagnose each example and count it
right when the top cause is the signal's cause (and the paste is SMTP), or, for `cause: not_smtp`, when is_smtp is
false. Prints the misses, per-file figures and the totals. Own-corpus figures only: the examples were written with
the signals, so this checks consistency, not accuracy on unseen pastes.

Usage: .venv/bin/python scripts/messages_accuracy.py [knowledge/messages/<id>.yaml ...]   (default: all files)
"""

from __future__ import annotations

import collections
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.diagnose import diagnose
from bot.kb.load import load_knowledge_base


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parent.parent
    files = [Path(a) for a in argv] or sorted((root / "knowledge" / "messages").glob("*.yaml"))
    kb = load_knowledge_base(root / "knowledge")
    total: collections.Counter[str] = collections.Counter()
    right: collections.Counter[str] = collections.Counter()
    for path in files:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for signal in doc.get("signals") or []:
            if signal.get("kind") == "against":
                continue
            for example in signal.get("examples") or []:
                result = diagnose(example, kb=kb)
                if signal["cause"] == "not_smtp":
                    group, good = "not_smtp", not result.is_smtp
                else:
                    group = "smtp"
                    good = result.is_smtp and result.top is not None and result.top.id == signal["cause"]
                for key in (group, doc["id"]):
                    total[key] += 1
                    right[key] += good
                if not good:
                    got = [c.id for c in result.causes[:3]]
                    print(f"MISS {doc['id']}.{signal['id']} want {signal['cause']} got is_smtp={result.is_smtp} {got}: "
                          f"{example[:90]!r}")
    for key in sorted(k for k in total if k not in ("smtp", "not_smtp")):
        print(f"{key:28s} {right[key]}/{total[key]}")
    smtp, neg = total["smtp"], total["not_smtp"]
    print(f"top-1 on SMTP examples: {right['smtp']}/{smtp} = {right['smtp'] / max(1, smtp):.3f}; "
          f"is_smtp false on not_smtp examples: {right['not_smtp']}/{neg} = {right['not_smtp'] / max(1, neg):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
