"""`smtp-help kb check`: validate knowledge/ and run every entry's own examples."""

from __future__ import annotations

import argparse
import sys
import time

from jinja2 import TemplateError

from bot.commands.kbcheck import check_knowledge_base
from bot.kb import load_knowledge_base
from bot.settings import Settings

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `smtp-help kb`."""
    parser.add_argument("action", choices=["check"], help="check: schema, patterns, templates and examples")
    parser.add_argument("--dir", help="knowledge directory (default: the repository's knowledge/)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 0 when every file is valid and every example classifies as it says; else list the problems."""
    started = time.perf_counter()
    kb = load_knowledge_base(args.dir or settings.knowledge_dir, cache_dir=None)  # validate every file, always
    load_ms = (time.perf_counter() - started) * 1000
    try:
        problems = check_knowledge_base(kb)
    except TemplateError as exc:  # pragma: no cover - check_knowledge_base reports template errors itself
        problems = [f"template error: {exc}"]
    for problem in problems:
        print(problem, file=sys.stderr)
    signals = [s for m in kb.messages.values() for s in m.signals] + [s for c in kb.causes.values() for s in c.signals]
    counts = (f"{len(kb.causes)} causes, {len(kb.providers)} providers, {len(kb.clients)} clients, "
              f"{len(kb.messages)} messages files, {len(signals)} signals "
              f"({sum(1 for s in signals if s.cite and s.examples)} with source and examples), "
              f"{len(kb.lint_rules)} lint rules, {len(kb.bank.sources)} patterns; loaded in {load_ms:.0f} ms")
    if problems:
        print(f"knowledge base: {len(problems)} problem(s) ({counts})", file=sys.stderr)
        return 1
    print(f"knowledge base OK: {counts}")
    return 0
