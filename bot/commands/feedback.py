"""`smtp-help feedback [--json] [--team T]`: which knowledge entries help, and which need work."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TextIO

from bot.settings import Settings
from bot.store.base import FeedbackReport

__all__ = ["add_arguments", "render_report", "run"]

PASTE_PREVIEW_CHARS = 300


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--json and --team."""
    parser.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    parser.add_argument("--team", metavar="T", help="only this Slack team id")


def render_report(report: FeedbackReport) -> str:
    """Terminal text: one line per cause, then its "Didn't help" pastes indented. Pure."""
    if not report.causes:
        return "No diagnoses or feedback recorded yet.\n"
    width = max(len(c.cause_id) for c in report.causes)
    lines = [f"{'cause':<{width}}  suggested  helpful  didn't help"]
    for c in report.causes:
        lines.append(f"{c.cause_id:<{width}}  {c.suggested:>9}  {c.helpful:>7}  {c.not_helpful:>11}")
        for paste in c.pastes:
            one = " ".join(paste.split())
            cut = one[:PASTE_PREVIEW_CHARS] + ("…" if len(one) > PASTE_PREVIEW_CHARS else "")
            lines.append(f"    didn't help: {cut}")
    return "\n".join(lines) + "\n"


NO_DATABASE = "No feedback recorded yet: {where} holds no smtp-help data (the bot creates it when it first runs).\n"


async def _report(settings: Settings, team: str | None) -> FeedbackReport | None:
    """The report, or None when there is no database (or no schema) yet. Reading creates nothing: no SQLite file,
    no directory, no tables, no migration."""
    from bot.store.sql import SqlStore

    store = await SqlStore.open_existing(settings.database_url)
    if store is None:
        return None
    try:
        return await store.feedback_report(team)
    finally:
        await store.close()


def _where(settings: Settings) -> str:
    from bot.store.sql import async_url

    url = async_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return f"the PostgreSQL database {url.database!r} on {url.host or 'localhost'}"


def run(args: argparse.Namespace, settings: Settings, *, out: TextIO | None = None) -> int:
    """Print the feedback report; StoreError (database unreachable) propagates to the CLI's error line."""
    out = out or sys.stdout
    team = getattr(args, "team", None)
    report = asyncio.run(_report(settings, team))
    if getattr(args, "json", False):
        out.write(json.dumps((report or FeedbackReport(team_id=team)).to_dict(), indent=2, ensure_ascii=False) + "\n")
    elif report is None:
        out.write(NO_DATABASE.format(where=_where(settings)))
    else:
        out.write(render_report(report))
    return 0
