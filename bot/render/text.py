"""Terminal rendering of a Diagnosis (console and the CLI's default output)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.kb.model import KnowledgeBase
from bot.model import Diagnosis
from bot.render.dialogue import STEP_LABELS, dialogue_lines
from bot.render.escape import strip_controls
from bot.render.fix import fix_text
from bot.render.names import cause_summary, cause_title, client_name, provider_name

__all__ = ["render_text"]

# Terminal text, not HTML: HTML autoescape would print &amp; to the console. Control characters are stripped instead.
_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), undefined=StrictUndefined,
    autoescape=False,  # noqa: S701 - terminal text, see above
    trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
_ENV.filters["pct"] = lambda v: f"{round(float(v) * 100)}%"
_ENV.filters["clean"] = strip_controls


def render_text(diagnosis: Diagnosis, kb: KnowledgeBase) -> str:
    """Readable plain text: likely cause, evidence, fix steps, other candidates, facts read."""
    top = diagnosis.top
    facts = diagnosis.facts
    return _ENV.get_template("diagnosis.txt.j2").render(
        d=diagnosis,
        top=top,
        title=cause_title(kb, top.id) if top else None,
        summary=cause_summary(kb, top.id) if top else None,
        fix=fix_text(diagnosis, kb, mrkdwn=False) if top else "",
        others=[(c, cause_title(kb, c.id)) for c in diagnosis.causes[1:]],
        provider=provider_name(kb, facts.provider),
        client=client_name(kb, facts.client),
        facts=facts,
        probe=_probe_text(diagnosis),
        dialogue=dialogue_lines(diagnosis.transcript) if diagnosis.transcript else [],
        failed_step=STEP_LABELS.get(diagnosis.transcript.failed_step or "", "")
        if diagnosis.transcript and diagnosis.transcript.failed else "",
    )


def _probe_text(diagnosis: Diagnosis) -> str:
    """The live probe's per-port table, when a probe ran (one renderer for the CLI and the console)."""
    if diagnosis.probe is None:
        return ""
    from bot.probe.command import render_text as render_probe

    return render_probe(diagnosis.probe)
