"""SQLite writers of one process queue in the event loop (db/sqlite_driver.py WriteGate) instead of
sleeping in SQLite's busy handler: the next writer starts when the previous transaction ends, a
rollback or a close frees the way as a commit does, readers never wait, and a writer kept waiting
past the timeout gets SQLite's own "database is locked"."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from entryphone.db import sqlite_driver


async def _engine(path: Path, timeout: float) -> AsyncEngine:
    # A file URL, as the app's: for "sqlite://" SQLAlchemy would share one connection among all.
    engine = create_async_engine(
        f"sqlite+aiosqlite:///{path}", async_creator=sqlite_driver.connector(path, timeout=timeout)
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
        # SQLite's own busy handler off: a writer that reached SQLite while another writes would fail
        # at once, so every test here that writes concurrently passes only through the gate.
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    async with engine.begin() as connection:
        await connection.execute(text("PRAGMA journal_mode=WAL"))
        await connection.execute(text("CREATE TABLE IF NOT EXISTS marks (name TEXT NOT NULL)"))
    return engine


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = await _engine(tmp_path / "writes.db", timeout=30)
    yield engine
    await engine.dispose()


async def _names(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        return list((await connection.execute(text("SELECT name FROM marks ORDER BY rowid"))).scalars())


async def test_a_second_writer_waits_for_the_first_transaction_then_writes(engine: AsyncEngine) -> None:
    first_wrote = asyncio.Event()
    release_first = asyncio.Event()
    order: list[str] = []

    async def first() -> None:
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO marks VALUES ('first')"))
            first_wrote.set()
            await release_first.wait()
            order.append("first commits")

    async def second() -> None:
        await first_wrote.wait()
        async with engine.begin() as connection:
            # A read does not wait for the writer (WAL) and does not see its uncommitted row.
            seen = (await connection.execute(text("SELECT count(*) FROM marks"))).scalar_one()
            order.append(f"second reads {seen}")
            await connection.execute(text("INSERT INTO marks VALUES ('second')"))
            order.append("second wrote")

    tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
    await first_wrote.wait()
    await asyncio.sleep(0.2)  # long enough for the second writer to have run ahead if it could
    assert order == ["second reads 0"]
    release_first.set()
    await asyncio.gather(*tasks)
    assert order == ["second reads 0", "first commits", "second wrote"]
    assert await _names(engine) == ["first", "second"]


async def test_a_rollback_lets_the_next_writer_in(engine: AsyncEngine) -> None:
    with pytest.raises(RuntimeError):
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO marks VALUES ('undone')"))
            raise RuntimeError("the caller failed mid-transaction")
    started = time.monotonic()
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO marks VALUES ('kept')"))
    assert time.monotonic() - started < 5  # not the 30 s timeout
    assert await _names(engine) == ["kept"]


async def test_a_writer_kept_waiting_past_the_timeout_is_told_the_database_is_locked(
    tmp_path: Path,
) -> None:
    engine = await _engine(tmp_path / "timeout.db", timeout=0.3)
    try:
        async with engine.begin() as holder:
            await holder.execute(text("INSERT INTO marks VALUES ('holder')"))
            with pytest.raises(OperationalError, match="database is locked"):
                async with engine.begin() as waiter:
                    await waiter.execute(text("INSERT INTO marks VALUES ('waiter')"))
        # Nothing of the refused writer was kept, and the gate is free again.
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO marks VALUES ('after')"))
        assert await _names(engine) == ["holder", "after"]
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("statement", "writes"),
    [
        ("SELECT 1", False),
        ("  select * from marks", False),
        ("PRAGMA journal_mode", False),
        ("SAVEPOINT sa_savepoint_1", False),
        ("RELEASE SAVEPOINT sa_savepoint_1", False),
        ("INSERT INTO marks VALUES ('x')", True),
        ("UPDATE marks SET name = 'y'", True),
        ("DELETE FROM marks", True),
        ("WITH t AS (SELECT 1) INSERT INTO marks SELECT 'z' FROM t", True),
        ("CREATE TABLE other (id INTEGER)", True),
    ],
)
def test_which_statements_take_the_gate(statement: str, writes: bool) -> None:
    assert sqlite_driver._writes(statement) is writes
