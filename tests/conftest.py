"""Shared fixtures: the real knowledge base, loaded once per test session."""

from __future__ import annotations

import pytest

from bot.kb import KnowledgeBase, load_knowledge_base


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    """The repository's knowledge/ as the bot loads it."""
    return load_knowledge_base()
