"""The migrations build exactly the schema the models describe, on both databases, and go back down."""

from __future__ import annotations

import asyncio

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
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
