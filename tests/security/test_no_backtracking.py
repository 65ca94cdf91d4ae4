"""No backtracking regex engine touches pasted text anywhere in bot/ (issue 14, item 1).

Python's `re` (and `regex`, `fnmatch`, which compiles to `re`) backtracks: nested runs around an alternation took
23 s on 2 KB of `pw-` in the store's old fallback redactor and froze the event loop. Every pattern that sees user
text is RE2 (`import re2`). The allow-list below names the few modules that still import `re`, each with why the
text it sees is not a paste and why the pattern cannot blow up; a new `import re` anywhere else fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[2] / "bot"
BACKTRACKING = {"re", "regex", "sre_compile", "sre_parse", "fnmatch", "glob"}

ALLOWED: dict[str, str] = {
    # maintainers' YAML in knowledge/, read by `smtp-help kb check` (a CI lint), never a paste
    "commands/kbcheck.py": "knowledge-base lint over the repository's own YAML",
    # the Alembic migration files shipped inside the package, read once at start-up
    "store/sql.py": "reads revision ids from bundled migration sources",
    # bolt's action matcher takes a compiled `re` pattern; it is an anchored literal prefix matched against
    # our own action ids, and the user-id pattern is one anchored character class run on Slack user ids
    "slack/listeners/actions.py": "bolt action-id constraint (anchored literal) and a Slack user-id check",
}


def _imports(path: Path) -> set[str]:
    return _imported(path.read_text(encoding="utf-8"))


def _imported(source: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(arg.value.split(".")[0])
    return found


MODULES = sorted(p for p in BOT.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(BOT)))
def test_module_uses_no_backtracking_regex_unless_allow_listed(path: Path) -> None:
    rel = str(path.relative_to(BOT))
    used = _imports(path) & BACKTRACKING
    if rel in ALLOWED:
        return
    assert not used, f"bot/{rel} imports {sorted(used)}: use re2 (linear time) on anything a user can send"


def test_allow_list_has_no_stale_entries() -> None:
    for rel in ALLOWED:
        assert (BOT / rel).exists(), rel
        assert _imports(BOT / rel) & BACKTRACKING, f"bot/{rel} no longer needs its allow-list entry"


def test_the_scan_would_catch_an_import() -> None:
    """The scanner itself: an `import re`, a `from re import`, a `regex` import and __import__ are all seen."""
    for source in ("import re\n", "from re import compile\n", "import regex as r\n", "__import__('re')\n",
                   "import fnmatch\n"):
        assert _imported(source) & BACKTRACKING, source
