"""The one jinja2 environment: sandboxed, undefined names are errors, values escaped for Slack when asked.

Knowledge files are written by support engineers, so their templates render in a SandboxedEnvironment with
StrictUndefined (a misspelt {{ placeholder }} fails `kb check` and the tests instead of printing nothing).
For Slack, every interpolated value is mrkdwn-escaped by `finalize`; the template's own words are trusted.
The app's own terminal template (templates/diagnosis.txt.j2) renders in an overlay of the same environment:
same sandbox, filters and undefined handling, plus a loader and block trimming.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from bot.kb.model import Client, KnowledgeBase, Provider
from bot.model import Evidence, Facts
from bot.render.escape import escape_mrkdwn
from bot.text import strip_controls

__all__ = ["APP_ENV", "ENV", "compile_template", "context_for", "render_template"]


def _finalize_mrkdwn(value: Any) -> Any:
    return escape_mrkdwn(value) if isinstance(value, str) else value


def _pct(value: Any) -> str:
    return f"{round(float(value) * 100)}%"


def _clean(value: Any) -> str:
    return strip_controls(str(value))




def _mentions(lines: Any, *words: str) -> bool:
    """`evidence is mentions('expired', 'not yet valid')`: any evidence line contains any word (any case)."""
    lowered = [str(line).lower() for line in lines or ()]
    return any(word.lower() in line for line in lowered for word in words)


# Terminal text and Slack mrkdwn, not HTML: autoescape would print &amp;. Slack escaping is `finalize`'s job.
# trim_blocks would also eat the newline after an inline "{% endif %}" that ends a step, running two steps
# together; instead tags keep their newlines and render_template drops the blank lines tag-only lines leave.
ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, trim_blocks=False,
                           lstrip_blocks=True, keep_trailing_newline=False)
ENV.filters.update(code=lambda v: f"`{v}`", pct=_pct, clean=_clean)
ENV.tests["mentions"] = _mentions
_ENVS = {False: ENV, True: ENV.overlay(finalize=_finalize_mrkdwn)}
# The app's own templates (bot/render/templates): whole-line tags vanish, as a reader of the file expects.
APP_ENV = ENV.overlay(loader=FileSystemLoader(Path(__file__).parent / "templates"), trim_blocks=True,
                      keep_trailing_newline=True)


def context_for(*, facts: Facts | None, provider: Provider | None, client: Client | None,
                evidence: Iterable[Evidence] = (), **extra: Any) -> dict[str, Any]:
    """The names a knowledge template may use: facts (all keys present), provider and client data (or None),
    and the evidence lines that put this cause where it is (so a fix can speak to what the paste says)."""
    # Facts holds only strings, numbers and tuples of them: a shallow mapping is what asdict's deep copy gave, at a
    # tenth of the cost (asdict was a third of --jsonl's time once every cause's fix was rendered twice).
    fact_map = {f.name: getattr(facts, f.name) for f in fields(facts)} if facts is not None else {}
    return {
        "facts": fact_map,
        "evidence": tuple(evidence),
        "provider": dict(provider.data) if provider is not None else None,
        "client": dict(client.data) if client is not None else None,
        **extra,
    }


def render_template(kb: KnowledgeBase, source: str, *, facts: Facts | None, provider: Provider | None,
                    client: Client | None, mrkdwn: bool, **extra: Any) -> str:
    """Render a knowledge-base template (compiled once per knowledge base and mode)."""
    key = ("tpl", mrkdwn, source)
    template = kb.cache.get(key)
    if template is None:
        template = _ENVS[mrkdwn].from_string(source)
        kb.cache[key] = template
    rendered = str(template.render(context_for(facts=facts, provider=provider, client=client, **extra)))
    return "\n".join(line for line in rendered.splitlines() if line.strip())


def compile_template(source: str) -> None:
    """Parse a template (for kb check); raises jinja2.TemplateSyntaxError."""
    _ENVS[False].from_string(source)
