"""Session-scoped PostgreSQL and Redis on loopback (tests/services.py) and per-test clean databases."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.services import (
    PostgresServer,
    RedisServer,
    postgres_missing,
    redis_missing,
    start_postgres,
    start_redis,
)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the session."""
    reason = postgres_missing()
    if reason:
        pytest.skip(reason)
    server = start_postgres()
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One redis-server for the session."""
    reason = redis_missing()
    if reason:
        pytest.skip(reason)
    server = start_redis()
    yield server
    server.destroy()


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    """URL of a fresh, empty database on the session server."""
    return postgres.create_database("t" + uuid.uuid4().hex[:12])


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """URL of the session Redis, flushed before the test."""
    from redis import Redis

    with Redis.from_url(redis_server.url) as client:
        client.flushall()
    return redis_server.url
