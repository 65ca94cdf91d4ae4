"""`smtp-help feedback` on PostgreSQL: an empty database stays empty (no tables, no migration); data is read."""

from __future__ import annotations

import argparse
import asyncio
import io

import pytest
from sqlalchemy import create_engine, inspect

from bot.commands import feedback
from bot.settings import Settings
from bot.store import open_store

pytestmark = pytest.mark.integration


def _tables(url: str) -> list[str]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return sorted(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_feedback_on_an_empty_postgres_database_creates_no_tables(pg_url: str) -> None:
    out = io.StringIO()
    assert feedback.run(argparse.Namespace(json=False, team=None), Settings(database_url=pg_url), out=out) == 0
    assert out.getvalue().startswith("No feedback recorded yet: the PostgreSQL database")
    assert _tables(pg_url) == []


def test_feedback_reads_a_postgres_database_with_data(pg_url: str) -> None:
    async def seed() -> None:
        store = await open_store(Settings(database_url=pg_url))
        await store.record_feedback(team_id="T1", channel="C1", user="U1", cause_id="tls.port_mode_mismatch",
                                    helpful=True, paste="SSL routines::wrong version number")
        await store.close()

    asyncio.run(seed())
    before = _tables(pg_url)
    out = io.StringIO()
    assert feedback.run(argparse.Namespace(json=False, team=None), Settings(database_url=pg_url), out=out) == 0
    assert "tls.port_mode_mismatch" in out.getvalue()
    assert _tables(pg_url) == before
