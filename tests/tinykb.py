"""A tiny knowledge base of the production type (bot.kb.KnowledgeBase), built in memory for tests that pin Slack
or probe behaviour rather than classifier tuning: four causes, Gmail, and whatever providers a test adds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.kb.model import Cause, KnowledgeBase, Provider
from bot.kb.patterns import PatternBank
from bot.settings import DEFAULT_KNOWLEDGE_DIR

__all__ = ["CAUSES", "GMAIL", "provider", "tiny_kb"]

CAUSES = {
    "bad_credentials": ("Wrong username or password", "The server refused the login."),
    "app_password_required": ("App password required", "2-step is on."),
    "tls_mismatch": ("TLS mode does not match the port", "465 is implicit TLS."),
    "network_blocked": ("Outbound SMTP blocked", "A firewall drops it."),
}
GMAIL: dict[str, Any] = {
    "id": "gmail",
    "name": "Gmail",
    "recognise": {"hosts": ["smtp.gmail.com"]},
    "submission": [{"host": "smtp.gmail.com", "port": 587, "tls": "starttls"}],
    "username": {"note": "Use the whole address."},
}


def provider(data: Mapping[str, Any]) -> Provider:
    """A Provider from a provider file's YAML (as a dict), recognised by its `recognise.hosts`."""
    hosts = [str(h).lower() for h in (data.get("recognise") or {}).get("hosts", ())]
    return Provider(id=str(data["id"]), name=str(data.get("name") or data["id"]),
                    hosts=frozenset(h for h in hosts if not h.startswith(".")),
                    host_suffixes=tuple(h for h in hosts if h.startswith(".")), domains=frozenset(),
                    patterns=(), names=(), data=data, path=f"providers/{data['id']}.yaml")


def tiny_kb(*providers: Mapping[str, Any]) -> KnowledgeBase:
    """The four causes and Gmail, plus `providers` (provider files as dicts)."""
    causes = {cid: Cause(id=cid, title=title, summary=summary, status="stable", signals=(), confusable={},
                         fix={"default": f"1. Fix {cid}"}, references=(), examples={}, path=f"causes/{cid}.yaml")
              for cid, (title, summary) in CAUSES.items()}
    bank = PatternBank()
    bank.freeze()
    return KnowledgeBase(causes=causes, providers={p["id"]: provider(p) for p in (GMAIL, *providers)}, clients={},
                         lint_rules=(), smtp_signals=(), smtp_threshold=1.0, smtp_examples={}, bank=bank,
                         directory=str(DEFAULT_KNOWLEDGE_DIR))  # its probe.yaml is the repository's
