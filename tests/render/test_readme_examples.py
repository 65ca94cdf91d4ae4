"""README opens with a real answer and documents --json with a real one (issue 12 §5, §6): both are what the tool
prints today, so they cannot rot. Regenerate with `.venv/bin/python scripts/readme_examples.py --write`."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("readme_examples", ROOT / "scripts" / "readme_examples.py")
assert _spec is not None
assert _spec.loader is not None
readme_examples = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(readme_examples)

HINT = "README example is stale: run `.venv/bin/python scripts/readme_examples.py --write`"


def _found() -> dict[str, tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return {kind: (paste, shown) for kind, paste, shown, _ in readme_examples.examples(text)}


def test_readme_opens_with_an_answer_before_the_benchmarks() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text.index("<!-- example:answer -->") < text.index("## Quick start") < text.index("## Benchmarks")


def test_the_opening_example_is_what_the_tool_prints_today() -> None:
    paste, shown = _found()["answer"]
    assert shown.startswith("Likely cause: ")
    assert shown == readme_examples.render("answer", paste), HINT


def test_the_json_example_is_what_the_tool_prints_today() -> None:
    paste, shown = _found()["json"]
    assert json.loads(shown) == json.loads(readme_examples.render("json", paste)), HINT
    assert json.loads(shown)["schema"] == 2
