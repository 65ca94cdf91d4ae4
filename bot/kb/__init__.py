"""The knowledge base: causes, providers, clients, lint rules and is_smtp signals, loaded from knowledge/."""

from __future__ import annotations

from bot.kb.load import load_knowledge_base
from bot.kb.model import Cause, Client, KnowledgeBase, LintRule, Provider, Signal

__all__ = ["Cause", "Client", "KnowledgeBase", "LintRule", "Provider", "Signal", "load_knowledge_base"]
