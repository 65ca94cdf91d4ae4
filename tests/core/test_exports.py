"""Every module in bot/ declares `__all__`, and it lists only names the module itself defines (a package's
__init__ may also re-export what it imports). The names callers of the core engine rely on are pinned: each
must stay in its module's __all__ (a module may grow, several people edit bot/ at once, but it may not lose one
silently).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[2] / "bot"
# Files that are run, not imported: `python -m bot` (runs the CLI on import) and Alembic's migration scripts
# (loaded by path from alembic.ini, never imported as bot.store.migrations.*).
SCRIPTS = ("bot/__main__.py", "bot/store/migrations/")
MODULES = sorted(rel for rel in (str(p.relative_to(BOT.parent)) for p in BOT.rglob("*.py"))
                 if not rel.startswith(SCRIPTS))


def _module_name(rel: str) -> str:
    return rel.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def _declared_all(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AnnAssign) and node.value is not None else []
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            value = ast.literal_eval(node.value)  # type: ignore[union-attr, arg-type]
            return list(value)
    return None


_TYPE_ALIAS = getattr(ast, "TypeAlias", ())


def _bound_names(tree: ast.Module, *, with_imports: bool) -> set[str]:
    """Names bound at module level by def, class or assignment (and by import, for packages)."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, _TYPE_ALIAS) and isinstance(node.name, ast.Name):  # `type X = ...` (3.12+)
            names.add(node.name.id)
        elif with_imports and isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    if with_imports and "__getattr__" in names:  # a package re-exporting lazily (PEP 562): the _LAZY table's keys
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_LAZY" for t in node.targets):
                names.update(ast.literal_eval(node.value))
    return names


def _tree(rel: str) -> ast.Module:
    return ast.parse((BOT.parent / rel).read_text(encoding="utf-8"), filename=rel)


@pytest.mark.parametrize("rel", MODULES)
def test_module_declares_all(rel: str) -> None:
    assert _declared_all(_tree(rel)) is not None, f"{rel} has no __all__"


@pytest.mark.parametrize("rel", MODULES)
def test_all_lists_only_names_the_module_defines(rel: str) -> None:
    tree = _tree(rel)
    declared = _declared_all(tree)
    if declared is None:
        pytest.skip("no __all__ (reported by test_module_declares_all)")
    assert len(declared) == len(set(declared)), f"{rel}: duplicate names in __all__"
    bound = _bound_names(tree, with_imports=rel.endswith("__init__.py"))
    assert not set(declared) - bound, f"{rel}: __all__ names not defined here: {sorted(set(declared) - bound)}"


CORE = {
    "bot.normalize": ["HEAD_CHARS", "MAX_CHARS", "TAIL_CHARS", "normalize", "to_text"],
    "bot.redact": ["PLACEHOLDER", "Redaction", "redact"],
    "bot.extract": ["Extraction", "extract", "username_form"],
    "bot.lint": ["derived_conditions", "lint_settings"],
    "bot.classify": ["Classification", "classify", "score_signals"],
    "bot.diagnose": ["diagnose"],
    "bot.model": ["CauseMatch", "Diagnosis", "Facts", "Finding", "LintIssue", "TLS_MODES"],
    "bot.kb": ["Cause", "Client", "KnowledgeBase", "LintRule", "Provider", "Signal", "load_knowledge_base"],
    "bot.kb.load": ["load_knowledge_base"],
    "bot.kb.patterns": ["MAX_PATTERN_LENGTH", "MAX_PROGRAM_SIZE", "PatternBank", "compile_pattern", "line_at"],
    "bot.commands.kbcheck": ["Check", "check_knowledge_base", "iter_checks"],
    "bot.render.escape": ["escape_mrkdwn", "strip_controls"],
    "bot.render.env": ["context_for", "render_template"],
    "bot.render.fix": ["fix_sources", "fix_text"],
    "bot.render.text": ["render_text"],
    "bot.commands.diagnose": ["add_arguments", "run"],
}


@pytest.mark.parametrize(("name", "expected"), sorted(CORE.items()))
def test_core_public_names_stay_exported_and_importable(name: str, expected: list[str]) -> None:
    module = importlib.import_module(name)
    lost = sorted(set(expected) - set(module.__all__))
    assert not lost, f"{name} no longer exports {lost}"
    for attr in expected:
        assert hasattr(module, attr), f"{name}.{attr}"


def test_every_listed_module_is_covered() -> None:
    assert {f"{_module_name(rel)}" for rel in MODULES} >= set(CORE)
