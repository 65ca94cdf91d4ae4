"""Settings lint: contradictions visible in the settings alone, before any error is pasted.

Rules live in knowledge/lint.yaml as conditions on the extracted facts; the few conditions that need a
provider's data (does it require TLS? which username form? which ports?) are computed here. Pure; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.kb.model import KnowledgeBase, LintRule
from bot.model import Facts, LintIssue
from bot.render.env import render_template

__all__ = ["derived_conditions", "lint_settings"]


def _submission(provider: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(provider.get("submission") or [])


def derived_conditions(facts: Facts, provider: Mapping[str, Any] | None) -> dict[str, bool]:
    """Conditions that compare the paste's settings with what the provider documents."""
    out = {"provider_requires_tls": False, "username_mismatch": False, "port_not_offered": False,
           "tls_mode_mismatch": False}
    if not provider:
        return out
    entries = _submission(provider)
    out["provider_requires_tls"] = bool(entries) and all(e.get("tls") != "none" for e in entries)
    hosts = {str(e.get("host", "")).lower() for e in entries}
    uses_provider_host = facts.host is not None and facts.host in hosts
    if uses_provider_host and facts.port is not None:
        ports = {e.get("port") for e in entries if str(e.get("host", "")).lower() == facts.host}
        out["port_not_offered"] = facts.port not in ports
        modes = {e.get("tls") for e in entries if e.get("port") == facts.port}
        out["tls_mode_mismatch"] = bool(facts.tls_mode and modes and facts.tls_mode not in modes)
    username = provider.get("username") or {}
    form, value = username.get("form"), username.get("value")
    if facts.username_form and facts.username_form != "empty":
        if form == "full_address":
            out["username_mismatch"] = facts.username_form == "local_part"
        elif form == "literal" and value:
            out["username_mismatch"] = (facts.username or "").lower() != str(value).lower() and \
                facts.username_form in ("full_address", "local_part", "other")
        elif form == "access_key_id":
            out["username_mismatch"] = facts.username_form in ("full_address", "local_part")
    return out


def _applies(rule: LintRule, facts: Facts, derived: Mapping[str, bool]) -> bool:
    for key, accepted in rule.when.items():
        if key in derived:
            if derived[key] is not accepted:
                return False
        elif getattr(facts, key) not in accepted:
            return False
    return True


def lint_settings(facts: Facts, kb: KnowledgeBase) -> tuple[LintIssue, ...]:
    """Every lint rule whose conditions hold, with its message rendered for these settings."""
    provider = kb.providers.get(facts.provider or "")
    client = kb.clients.get(facts.client or "")
    derived = derived_conditions(facts, provider.data if provider else None)
    issues = []
    for rule in kb.lint_rules:
        if _applies(rule, facts, derived):
            message = render_template(kb, rule.message, facts=facts, provider=provider, client=client, mrkdwn=False)
            issues.append(LintIssue(id=rule.id, cause=rule.cause, message=message.strip()))
    return tuple(issues)
