"""How a cause, a provider or a library is named to people: one fallback for every view. Pure."""

from __future__ import annotations

from bot.kb.model import KnowledgeBase

__all__ = ["cause_summary", "cause_title", "cause_titles", "client_name", "provider_name"]


def cause_title(kb: KnowledgeBase, cause_id: str) -> str:
    """The cause's title from its knowledge file; an id the knowledge base lacks reads as words."""
    cause = kb.causes.get(cause_id)
    return cause.title if cause is not None else cause_id.replace("_", " ").capitalize()


def cause_titles(kb: KnowledgeBase) -> dict[str, str]:
    """Cause id -> title for every known cause."""
    return {cid: cause_title(kb, cid) for cid in kb.causes}


def cause_summary(kb: KnowledgeBase, cause_id: str) -> str:
    """The cause's one-paragraph summary, or "" when the knowledge base lacks it."""
    cause = kb.causes.get(cause_id)
    return cause.summary if cause is not None else ""


def provider_name(kb: KnowledgeBase, provider_id: str | None) -> str | None:
    """A provider's display name (its id when unknown); None when no provider was detected."""
    if not provider_id:
        return None
    provider = kb.providers.get(provider_id)
    return provider.name if provider is not None else provider_id


def client_name(kb: KnowledgeBase, client_id: str | None) -> str | None:
    """A mail library's display name (its id when unknown); None when no library was detected."""
    if not client_id:
        return None
    client = kb.clients.get(client_id)
    return client.name if client is not None else client_id
