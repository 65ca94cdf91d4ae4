"""Shared fixtures: the real knowledge base, loaded once per test session."""

from __future__ import annotations

import os

import pytest

# A developer's .env (read by `smtp-help run/serve/console/worker`) must not change what the tests do: the tests and
# every process they start run as if there were none (tests/first_hour/test_dotenv.py proves it).
os.environ["SMTP_HELP_DOTENV"] = "0"

from bot.kb import KnowledgeBase, load_knowledge_base


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    """The repository's knowledge/ as the bot loads it."""
    return load_knowledge_base()
