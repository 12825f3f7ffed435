"""The migrations build exactly the schema the models describe, on both databases, and go back down."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

import entryphone.models  # noqa: F401  (registers every table)
from entryphone.config import Settings
from entryphone.db.base import Base
from entryphone.db.migrate import alembic_config
from tests.support.seed import run_sync


def _diff(url: str) -> list[object]:
    async def compare() -> list[object]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(
                    lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
                )
        finally:
            await engine.dispose()

    return run_sync(compare)


def test_models_and_migrations_agree_and_downgrade_works(settings: Settings) -> None:
    # `settings` points at a database the conftest migrated to head.
    assert _diff(settings.database_url) == []
    config = alembic_config(settings)
    run_sync(lambda: asyncio.to_thread(command.downgrade, config, "base"))
    run_sync(lambda: asyncio.to_thread(command.upgrade, config, "head"))
    assert _diff(settings.database_url) == []


@pytest.fixture(autouse=True)
def _no_server() -> None:
    """This module needs a database, not a running app."""


def _run(url: str, statement: str, **params: object) -> list[tuple[object, ...]]:
    async def execute() -> list[tuple[object, ...]]:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as connection:
                result = await connection.execute(text(statement), params)
                return [tuple(row) for row in result.all()] if result.returns_rows else []
        finally:
            await engine.dispose()

    return run_sync(execute)


def test_0008_moves_the_online_state_to_device_states_and_back(settings: Settings) -> None:
    """Upgrading keeps each panel's online state and last sighting; downgrading puts them back."""
    config = alembic_config(settings)
    url = settings.database_url
    run_sync(lambda: asyncio.to_thread(command.downgrade, config, "0006_read_generations"))
    insert = (
        "INSERT INTO intercoms (uuid, title, status, source, vendor, collecting_keys, "
        "is_crossbar_switchers_enabled, tls_allow_self_signed, is_online, last_seen_at, created_at, "
        "updated_at) VALUES (:uuid, :title, 'installed', 'manual', '2n', false, false, false, "
        ":online, :seen, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )
    seen = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    _run(url, insert, uuid="m-online", title="Online panel", online=True, seen=seen)
    _run(url, insert, uuid="m-offline", title="Offline panel", online=False, seen=None)
    run_sync(lambda: asyncio.to_thread(command.upgrade, config, "head"))
    states = _run(
        url,
        "SELECT i.title, s.is_online, s.last_seen_at FROM intercoms i "
        "LEFT JOIN device_states s ON s.intercom_id = i.id WHERE i.uuid IN ('m-online', 'm-offline') "
        "ORDER BY i.title",
    )
    assert [(title, bool(online) if online is not None else None) for title, online, _ in states] == [
        ("Offline panel", None),
        ("Online panel", True),
    ]
    assert states[1][2] is not None and str(states[1][2]).startswith("2026-12-06 12:00:00")

    run_sync(lambda: asyncio.to_thread(command.downgrade, config, "0006_read_generations"))
    back = _run(url, "SELECT title, is_online, last_seen_at FROM intercoms WHERE uuid = 'm-online'")
    assert bool(back[0][1]) is True and str(back[0][2]).startswith("2026-12-06 12:00:00")
    run_sync(lambda: asyncio.to_thread(command.upgrade, config, "head"))
    assert _diff(url) == []
