"""The direct single-statement writes (db/row_writer.py) store what SQLAlchemy would store, commit
before they return, answer a refused statement with SQLAlchemy's own error and write nothing, and
on SQLite wait for the process's other writers without waiting on the event loop."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.db import sqlite_driver
from entryphone.db.row_writer import SqliteRowWriter
from entryphone.doors import repository
from entryphone.models import Intercom
from entryphone.models.door_open import DoorOpenRequest

AT = datetime(2026, 12, 6, 5, 6, 7, 891011, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_server() -> None:
    """This module needs a database, not a running app."""


async def _intercom(context: AppContext) -> int:
    async with context.sessions.begin() as session:
        intercom = Intercom(title="Row writer", vendor="2n")
        session.add(intercom)
        await session.flush()
        return intercom.id


async def _request(context: AppContext, request_id: int) -> DoorOpenRequest | None:
    async with context.sessions() as session:
        return await session.get(DoorOpenRequest, request_id)


async def _add(context: AppContext, intercom_id: int) -> int:
    request = DoorOpenRequest(intercom_id=intercom_id, device_uuid="phone", status="pending", requested_at=AT)
    return (await repository.add(context.writes, request)).id


async def test_a_write_is_committed_and_reads_back_as_sqlalchemy_wrote_it(settings: Settings) -> None:
    context = AppContext.build(settings)
    try:
        intercom_id = await _intercom(context)
        stored = await _request(context, await _add(context, intercom_id))  # committed: seen elsewhere
        assert stored is not None
        assert (stored.intercom_id, stored.device_uuid, stored.status) == (intercom_id, "phone", "pending")
        assert stored.requested_at == AT  # the timestamp went through SQLAlchemy's bind processing
        done = datetime(2026, 12, 6, 5, 6, 8, tzinfo=UTC)
        await repository.finish(context.writes, stored.id, "opened", None, done)
        stored = await _request(context, stored.id)
        assert stored is not None and (stored.status, stored.finished_at) == ("opened", done)
    finally:
        await context.close()


async def test_a_refused_write_raises_sqlalchemys_error_and_writes_nothing(settings: Settings) -> None:
    context = AppContext.build(settings)
    try:
        intercom_id = await _intercom(context)
        missing = intercom_id + 1000
        with pytest.raises(IntegrityError):  # no such intercom: the foreign key refuses it
            await _add(context, missing)
        async with context.sessions() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(DoorOpenRequest)
                .where(DoorOpenRequest.intercom_id == missing)
            )
        assert count == 0
        assert await _request(context, await _add(context, intercom_id)) is not None  # still usable
    finally:
        await context.close()


async def test_on_sqlite_a_direct_write_waits_for_the_open_transaction(
    settings: Settings, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL writers do not queue in the process")
    context = AppContext.build(settings)
    try:
        intercom_id = await _intercom(context)
        async with context.sessions() as session:
            await session.execute(
                text("UPDATE intercoms SET title = 'held' WHERE id = :id"), {"id": intercom_id}
            )
            writing = asyncio.create_task(_add(context, intercom_id))
            await asyncio.sleep(0.3)
            assert not writing.done()  # waits for the gate, on its thread: the loop runs on
            await session.commit()
        assert await _request(context, await asyncio.wait_for(writing, 5)) is not None
    finally:
        await context.close()


async def test_on_postgresql_a_dead_connection_is_replaced(settings: Settings, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has no connection to lose")
    context = AppContext.build(settings)
    try:
        intercom_id = await _intercom(context)
        assert await _request(context, await _add(context, intercom_id)) is not None
        async with context.engine.connect() as admin:
            await admin.execute(
                text(
                    "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        await context.engine.dispose()
        for _ in range(3):
            assert await _request(context, await _add(context, intercom_id)) is not None
    finally:
        await context.close()


async def test_on_postgresql_an_unanswered_write_is_a_retryable_error_not_a_second_write(
    settings: Settings, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite writes in the process")
    context = AppContext.build(settings)
    try:
        intercom_id = await _intercom(context)
        request_id = await _add(context, intercom_id)
        async with context.sessions() as session:  # holds the row: the direct UPDATE waits past its timeout
            await session.execute(
                select(DoorOpenRequest).where(DoorOpenRequest.id == request_id).with_for_update()
            )
            with pytest.raises(DBAPIError) as unanswered:
                await repository.finish(context.writes, request_id, "opened", None, AT)
            assert unanswered.value.connection_invalidated  # the API's 503 "retry in a moment"
            await session.rollback()
        await repository.finish(context.writes, request_id, "opened", None, AT)
        stored = await _request(context, request_id)
        assert stored is not None and stored.status == "opened"
    finally:
        await context.close()


async def test_on_sqlite_a_write_locked_out_for_the_busy_timeout_fails_once(
    settings: Settings, backend: str
) -> None:
    """Waited the whole timeout for the gate: SQLAlchemy's "database is locked" at once, not a
    second wait through the pool (whose own gate this test does not hold) and no row."""
    if backend != "sqlite":
        pytest.skip("the write gate is SQLite's")
    context = AppContext.build(settings)
    path = settings.sqlite_path()
    assert path is not None
    gate = sqlite_driver.WriteGate(0.2)
    locked = SqliteRowWriter(context.engine, path, gate)
    try:
        intercom_id = await _intercom(context)
        gate.acquire()
        try:
            request = DoorOpenRequest(
                intercom_id=intercom_id, device_uuid="locked", status="pending", requested_at=AT
            )
            with pytest.raises(OperationalError, match="database is locked"):
                await repository.add(locked, request)
        finally:
            gate.release()
        async with context.sessions() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(DoorOpenRequest)
                .where(DoorOpenRequest.device_uuid == "locked")
            )
        assert count == 0
        assert await _request(context, (await repository.add(locked, request)).id) is not None  # free again
    finally:
        await locked.close()
        await context.close()
