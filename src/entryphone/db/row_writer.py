"""Single-statement writes on a driver connection of their own, for the writes a person waits on
that stand alone: the door-open request, recorded before the panel is told and finished after.

Through SQLAlchemy each of those cost ~1 ms of CPU (session, pool checkout, execution context, a
thread hand-off for the statement and another for the commit) and, on SQLite, held the write lock
across two turns of a busy event loop, so under 50 residents other writers queued behind it
(bench/door_open). Here the statement is compiled once by SQLAlchemy (bind values processed as
SQLAlchemy would) and run by the driver in autocommit: the statement is its own transaction,
committed before `write_one` returns.

- SQLite: a connection of its own on a thread of its own; it takes the engine's WriteGate
  (db/sqlite_driver.py) on that thread around the one statement, so it never waits on the loop;
- PostgreSQL (asyncpg): a connection of its own;
- anything else: a transaction through SQLAlchemy.

When this path fails the statement goes through SQLAlchemy instead, which answers with its own
error if it fails too, but only when the failed attempt cannot have been applied: an error SQLite
or PostgreSQL reported, or no connection. Not when SQLite stayed locked for the whole busy timeout:
that is SQLAlchemy's OperationalError at once, not a second wait as long. A PostgreSQL connection
lost mid-statement leaves it unknown whether the statement committed, so that is a DBAPIError
marked as a lost connection (503, retry) rather than a second, possibly duplicate, write. Only
INSERT and UPDATE statements whose values are all bound at the call belong here.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from entryphone.config import Settings
from entryphone.db import sqlite_driver
from entryphone.db.row_reader import CompiledStatements, PostgresSlot, Row, Statement

log = logging.getLogger(__name__)


class RowWriter:
    """Runs one statement in a transaction of its own through SQLAlchemy (every backend's fallback)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.compiled = CompiledStatements(engine)

    async def write_one(self, statement: Statement, params: Mapping[str, Any]) -> Row | None:
        """Run `statement` and commit it; the first row it returns (RETURNING), else None."""
        async with self._engine.begin() as connection:
            result = await connection.execute(statement, dict(params))  # type: ignore[call-overload]
            row: Row | None = result.first() if result.returns_rows else None
        return row

    async def close(self) -> None:
        return None


class SqliteRowWriter(RowWriter):
    def __init__(self, engine: AsyncEngine, path: Path, gate: sqlite_driver.WriteGate) -> None:
        super().__init__(engine)
        self._path = path
        self._gate = gate
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="entryphone-sqlite-writer")
        self._connection: sqlite3.Connection | None = None  # used on self._thread only
        self._closed = False

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            # isolation_level=None: autocommit, each statement its own transaction.
            connection = sqlite3.connect(str(self._path), isolation_level=None, check_same_thread=False)
            connection.execute(f"PRAGMA busy_timeout={int(self._gate.timeout * 1000)}")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA foreign_keys=ON")
            self._connection = connection
        return self._connection

    def _write(self, sql: str, arguments: list[Any]) -> Row | None:
        """On the writer's thread: the statement, under the gate, run to its end (and commit)."""
        self._gate.acquire()
        try:
            rows = self._connect().execute(sql, arguments).fetchall()
        except sqlite3.Error:
            self._drop()  # the next write opens a fresh connection
            raise
        finally:
            self._gate.release()
        return rows[0] if rows else None

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    async def write_one(self, statement: Statement, params: Mapping[str, Any]) -> Row | None:
        compiled = self.compiled(statement)
        arguments = compiled.arguments(params)
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._thread, self._write, compiled.sql, arguments
            )
        except sqlite3.Error as error:  # SQLite refused it whole: nothing was written
            if sqlite_driver.is_busy(error):  # waited the whole busy timeout: not a second time
                raise OperationalError(compiled.sql, None, error) from error
            log.debug("direct SQLite write failed (%s); writing through the pool", error)
            return await super().write_one(statement, params)

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await asyncio.get_running_loop().run_in_executor(self._thread, self._drop)
            self._thread.shutdown(wait=False)


class _AsyncpgRowWriter(RowWriter):
    def __init__(self, engine: AsyncEngine, dsn: str) -> None:
        super().__init__(engine)
        self._slot = PostgresSlot(dsn)
        self._lock = asyncio.Lock()  # one statement at a time on the connection

    async def write_one(self, statement: Statement, params: Mapping[str, Any]) -> Row | None:
        compiled = self.compiled(statement)
        arguments = compiled.arguments(params)
        async with self._lock:
            try:
                connection = await self._slot.open()
            except Exception as error:  # nothing was sent
                log.debug("no direct PostgreSQL connection (%s); writing through the pool", error)
                self._slot.drop()
                connection = None
            if connection is not None:
                try:
                    rows = await connection.fetch(compiled.sql, *arguments)
                except asyncpg.PostgresError as error:  # refused by the server: nothing was written
                    log.debug("direct PostgreSQL write refused (%s); writing through the pool", error)
                except Exception as error:
                    self._slot.drop()
                    # Sent, and the answer lost: whether it committed is unknown.
                    raise DBAPIError(compiled.sql, None, error, connection_invalidated=True) from error
                else:
                    return rows[0] if rows else None
        return await super().write_one(statement, params)

    async def close(self) -> None:
        async with self._lock:
            await self._slot.close()


def create_row_writer(settings: Settings, engine: AsyncEngine) -> RowWriter:
    url = make_url(settings.database_url)
    path = settings.sqlite_path()
    gate = sqlite_driver.gate_of(engine)
    if url.get_backend_name() == "sqlite" and path is not None and gate is not None:
        return SqliteRowWriter(engine, path, gate)
    if url.get_backend_name() == "postgresql" and url.get_driver_name() == "asyncpg":
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        return _AsyncpgRowWriter(engine, dsn)
    return RowWriter(engine)
