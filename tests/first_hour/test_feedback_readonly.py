"""`smtp-help feedback` only reads: on a fresh machine it says so and creates no file, directory or table."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from pathlib import Path

import pytest

from bot import cli
from bot.settings import Settings
from bot.store import open_store


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(root.rglob("*"))}


@pytest.fixture
def db_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SMTP_HELP_DB pointing at a file in a directory that does not exist yet; the CLI run from tmp_path."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    path = tmp_path / "state" / "smtp-help.db"
    monkeypatch.setenv("SMTP_HELP_DB", str(path))
    return path


def test_fresh_machine_no_database_is_created(db_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["feedback"]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("No feedback recorded yet")
    assert str(db_env) in out.out
    assert out.err == ""
    assert cli.main(["feedback", "--json", "--team", "T1"]) == 0
    assert json.loads(capsys.readouterr().out) == {"team_id": "T1", "causes": []}
    assert _tree(tmp_path) == {}  # no file, no directory
    assert not db_env.parent.exists()


def test_default_path_in_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "SMTP_HELP_DB", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    assert cli.main(["feedback"]) == 0
    assert "No feedback recorded yet: smtp-help.db" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_an_empty_file_gets_no_tables(db_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db_env.parent.mkdir()
    db_env.touch()
    assert cli.main(["feedback"]) == 0
    assert capsys.readouterr().out.startswith("No feedback recorded yet")
    assert db_env.stat().st_size == 0
    with sqlite3.connect(db_env) as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []
    assert sorted(os.listdir(db_env.parent)) == ["smtp-help.db"]


def test_an_existing_database_is_read_and_left_as_it_was(db_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async def seed() -> None:
        store = await open_store(Settings(database_url=f"sqlite:///{db_env}"))
        await store.record_diagnosis(team_id="T1", channel="C1", cause_id="auth.bad_credentials", source="command")
        await store.record_feedback(team_id="T1", channel="C1", user="U1", cause_id="auth.bad_credentials",
                                    helpful=False, paste="535 5.7.8 Username and Password not accepted")
        await store.close()

    asyncio.run(seed())
    before = _tree(db_env.parent)
    assert cli.main(["feedback"]) == 0
    text = capsys.readouterr().out
    assert "auth.bad_credentials" in text
    assert "didn't help: 535 5.7.8 Username and Password not accepted" in text
    assert _tree(db_env.parent) == before  # nothing written: not even a -wal or -shm file left behind
