"""Table definitions (SQLAlchemy Core) shared by the SQL store and the first Alembic revision.

Times are epoch seconds (float) so SQLite and PostgreSQL compare them the same way; every row that can
expire carries `expires_at` and is pruned by the store. No column holds a secret: pastes and thread text
are scrubbed before they are written (security.md R1). Slack's OAuth tables (installations, bots, states)
come from slack_sdk's own builders so bolt's installation store reads them unchanged.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, Index, Integer, MetaData, String, Table, Text

__all__ = [
    "BOTS_TABLE",
    "INSTALLATIONS_TABLE",
    "OAUTH_STATES_TABLE",
    "channel_settings",
    "diagnoses",
    "events",
    "feedback",
    "metadata",
    "probe_cache",
    "rate_limits",
    "threads",
]

INSTALLATIONS_TABLE = "slack_installations"
BOTS_TABLE = "slack_bots"
OAUTH_STATES_TABLE = "slack_oauth_states"

metadata = MetaData()

events = Table(
    "events", metadata,
    Column("event_id", String(255), primary_key=True),
    Column("expires_at", Float, nullable=False, index=True),
)

threads = Table(
    "threads", metadata,
    Column("team_id", String(32), primary_key=True),
    Column("channel", String(32), primary_key=True),
    Column("thread_ts", String(32), primary_key=True),
    Column("text", Text, nullable=False),
    Column("last_causes", Text, nullable=False),  # JSON list of cause ids
    Column("reply_ts", String(32)),
    Column("updated_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
)

diagnoses = Table(
    "diagnoses", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", String(32), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("cause_id", String(128)),
    Column("source", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_diagnoses_team_cause", "team_id", "cause_id"),
)

feedback = Table(
    "feedback", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", String(32), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("cause_id", String(128), nullable=False),
    Column("helpful", Boolean, nullable=False),
    Column("paste", Text, nullable=False),  # scrubbed
    Column("created_at", Float, nullable=False),
    Index("ix_feedback_team_cause", "team_id", "cause_id"),
)

channel_settings = Table(
    "channel_settings", metadata,
    Column("team_id", String(32), primary_key=True),
    Column("channel", String(32), primary_key=True),
    Column("auto", Boolean, nullable=False),
)

probe_cache = Table(
    "probe_cache", metadata,
    Column("key", String(512), primary_key=True),
    Column("report", Text, nullable=False),  # JSON
    Column("expires_at", Float, nullable=False, index=True),
)

rate_limits = Table(
    "rate_limits", metadata,
    Column("key", String(255), primary_key=True),
    Column("window", Integer, primary_key=True),
    Column("count", Integer, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
)
