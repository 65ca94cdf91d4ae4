"""Loading knowledge/: the content-hash cache never serves stale or corrupt data, and errors name file and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.errors import KnowledgeBaseError
from bot.kb import load_knowledge_base
from bot.settings import DEFAULT_KNOWLEDGE_DIR


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, target)
    return target


def test_an_edited_file_is_read_again_not_served_from_cache(kb_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert load_knowledge_base(kb_copy, cache_dir=cache).causes["other_smtp"].title.startswith("Another")
    path = kb_copy / "causes" / "other_smtp.yaml"
    path.write_text(path.read_text().replace("title: Another SMTP problem", "title: Edited title"))
    assert load_knowledge_base(kb_copy, cache_dir=cache).causes["other_smtp"].title.startswith("Edited title")


def test_a_corrupt_cache_file_is_ignored(kb_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    load_knowledge_base(kb_copy, cache_dir=cache)
    for entry in cache.iterdir():
        entry.write_text("{not json")
    assert len(load_knowledge_base(kb_copy, cache_dir=cache).causes) == 14


def test_an_invalid_file_is_reported_even_when_an_older_valid_version_was_cached(kb_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    load_knowledge_base(kb_copy, cache_dir=cache)
    path = kb_copy / "causes" / "other_smtp.yaml"
    path.write_text(path.read_text().replace("status: stable", "status: shiny"))
    with pytest.raises(KnowledgeBaseError) as err:
        load_knowledge_base(kb_copy, cache_dir=cache)
    assert err.value.path.endswith("causes/other_smtp.yaml")
    assert err.value.field == "status"


def test_a_missing_smtp_signals_file_is_named(kb_copy: Path) -> None:
    (kb_copy / "smtp.yaml").unlink()
    with pytest.raises(KnowledgeBaseError, match=r"smtp\.yaml"):
        load_knowledge_base(kb_copy, cache_dir=None)


def test_a_condition_naming_an_unknown_provider_is_refused(kb_copy: Path) -> None:
    path = kb_copy / "causes" / "network_blocked.yaml"
    path.write_text(path.read_text().replace("when: {port: [25, 465, 587, 2525]}", "when: {provider: [gmial]}", 1)
                    if "when: {port: [25, 465, 587, 2525]}" in path.read_text()
                    else path.read_text().replace("when: {flag: [intercepted]}", "when: {provider: [gmial]}", 1))
    with pytest.raises(KnowledgeBaseError, match=r"unknown provider id 'gmial'"):
        load_knowledge_base(kb_copy, cache_dir=None)


def test_a_catastrophic_backtracking_pattern_is_rejected_or_runs_in_linear_time(kb_copy: Path) -> None:
    """RE2 accepts (a+)+$ but runs it in linear time; a back-reference it cannot run is refused at load."""
    path = kb_copy / "causes" / "other_smtp.yaml"
    text = path.read_text()
    path.write_text(text.replace("      patterns:\n        - '", "      patterns:\n        - '(a|aa)\\1|", 1))
    with pytest.raises(KnowledgeBaseError, match="RE2"):
        load_knowledge_base(kb_copy, cache_dir=None)
