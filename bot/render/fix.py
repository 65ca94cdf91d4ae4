"""The step-by-step fix for one cause, specific to the detected provider and client library."""

from __future__ import annotations

from bot.kb.model import KnowledgeBase
from bot.model import Diagnosis, Facts
from bot.render.env import render_template
from bot.render.order import first_step_first

__all__ = ["fix_sources", "fix_text"]


def fix_sources(kb: KnowledgeBase, cause_id: str, facts: Facts) -> list[str]:
    """The templates that make up this fix: the provider variant (or the default), then the client part."""
    fix = kb.causes[cause_id].fix
    providers = fix.get("providers") or {}
    clients = fix.get("clients") or {}
    parts = [providers.get(facts.provider or "", fix["default"])]
    if facts.client and facts.client in kb.clients:
        client_part = clients.get(facts.client) or fix.get("client")
        if client_part:
            parts.append(client_part)
    return parts


def fix_text(diagnosis: Diagnosis, kb: KnowledgeBase, cause_id: str | None = None, *, mrkdwn: bool) -> str:
    """Numbered fix steps for `cause_id` (default: the top cause); empty when there is no cause."""
    cause_id = cause_id or (diagnosis.top.id if diagnosis.top else None)
    if cause_id is None or cause_id not in kb.causes:
        return ""
    facts = diagnosis.facts
    provider = kb.providers.get(facts.provider) if facts.provider else None
    client = kb.clients.get(facts.client) if facts.client else None
    match = next((c for c in diagnosis.causes if c.id == cause_id), None)
    evidence = match.evidence if match else ()
    rendered = [render_template(kb, source, facts=facts, provider=provider, client=client, mrkdwn=mrkdwn,
                                evidence=evidence).strip()
                for source in fix_sources(kb, cause_id, facts)]
    if rendered:  # the step this paste's own words point to goes first (bot.render.order)
        rendered[0] = first_step_first(rendered[0], diagnosis.text)
    return "\n\n".join(part for part in rendered if part)
