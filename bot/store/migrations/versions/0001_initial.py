"""Initial schema: events, threads, diagnoses, feedback, channel settings, probe cache, rate limits, Slack OAuth.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create every table."""
    op.create_table(
        "events",
        sa.Column("event_id", sa.String(255), primary_key=True),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_index("ix_events_expires_at", "events", ["expires_at"])
    op.create_table(
        "threads",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("thread_ts", sa.String(32), primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("last_causes", sa.Text, nullable=False),
        sa.Column("reply_ts", sa.String(32)),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_index("ix_threads_expires_at", "threads", ["expires_at"])
    op.create_table(
        "diagnoses",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("cause_id", sa.String(128)),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_diagnoses_team_cause", "diagnoses", ["team_id", "cause_id"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("cause_id", sa.String(128), nullable=False),
        sa.Column("helpful", sa.Boolean, nullable=False),
        sa.Column("paste", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_feedback_team_cause", "feedback", ["team_id", "cause_id"])
    op.create_table(
        "channel_settings",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("auto", sa.Boolean, nullable=False),
    )
    op.create_table(
        "probe_cache",
        sa.Column("key", sa.String(512), primary_key=True),
        sa.Column("report", sa.Text, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_index("ix_probe_cache_expires_at", "probe_cache", ["expires_at"])
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("window", sa.Integer, primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_index("ix_rate_limits_expires_at", "rate_limits", ["expires_at"])
    # Slack OAuth tables exactly as slack_sdk's SQLAlchemy stores define them
    slack = sa.MetaData()
    SQLAlchemyInstallationStore.build_installations_table(slack, "slack_installations")
    SQLAlchemyInstallationStore.build_bots_table(slack, "slack_bots")
    SQLAlchemyOAuthStateStore.build_oauth_states_table(slack, "slack_oauth_states")
    slack.create_all(op.get_bind())


def downgrade() -> None:
    """Drop every table."""
    for name in ("slack_oauth_states", "slack_bots", "slack_installations", "rate_limits", "probe_cache",
                 "channel_settings", "feedback", "diagnoses", "threads", "events"):
        op.drop_table(name)
