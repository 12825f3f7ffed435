"""Single-row reads on a driver connection of their own, for the one statement that every cached
API read runs (the caller's token and a read generation, api/reply_cache.py).

Through SQLAlchemy that statement cost 1.0-1.3 ms of CPU (pool checkout, execution context,
result processing, aiosqlite's thread hand-off), five times what the rest of a cached read costs
(bench/api_read). Here it is compiled once by SQLAlchemy and then run directly:

- SQLite: a connection of its own, `query_only`, used on the event loop's thread. A WAL reader
  does not wait for writers, and `busy_timeout=0` makes the rare exception (a checkpoint that must
  reset the log) fail at once instead of blocking the loop;
- PostgreSQL (asyncpg): a few connections of its own, each used by one query at a time (asyncpg's
  pool resets a connection on every release, a round trip this path cannot afford);
- anything else: a pooled SQLAlchemy connection, as any other read.

When this path cannot answer (busy file, lost connection) the row is read the ordinary way: it is
an optimisation, never a second source of truth. Parameters must be plain values (str, int, bool,
None); columns come back as the driver returns them (SQLite: timestamps as text, booleans as 0/1):
`as_utc` and `bool()` make them uniform.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import Select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from entryphone.config import Settings

log = logging.getLogger(__name__)

Row = Sequence[Any]
AnySelect = Select[*tuple[Any, ...]]
PG_CONNECTIONS = 3
PG_CONNECT_TIMEOUT = 5.0


def as_utc(value: datetime | str | None) -> datetime | None:
    """A timestamp column of a row from any path as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _Compiled:
    def __init__(self, engine: AsyncEngine, statement: AnySelect) -> None:
        compiled = statement.compile(dialect=engine.dialect)
        self.sql = str(compiled)
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        return [params[name] for name in self.names]


class RowReader:
    """Reads one row of a SELECT through SQLAlchemy (the fallback every backend has)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._compiled: dict[int, tuple[AnySelect, _Compiled]] = {}

    def compiled(self, statement: AnySelect) -> _Compiled:
        # Keyed by identity: the statements are module constants; the statement is kept alive with it.
        entry = self._compiled.get(id(statement))
        if entry is None:
            entry = (statement, _Compiled(self._engine, statement))
            self._compiled[id(statement)] = entry
        return entry[1]

    async def fetch_one(self, statement: AnySelect, params: Mapping[str, Any]) -> Row | None:
        async with self._engine.connect() as connection:
            row: Row | None = (await connection.execute(statement, dict(params))).first()
        return row

    async def close(self) -> None:
        return None


class _SqliteRowReader(RowReader):
    def __init__(self, engine: AsyncEngine, path: Path) -> None:
        super().__init__(engine)
        self._path = path
        self._connection: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(str(self._path), isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA busy_timeout=0")
            connection.execute("PRAGMA query_only=1")
            self._connection = connection
        return self._connection

    async def fetch_one(self, statement: AnySelect, params: Mapping[str, Any]) -> Row | None:
        compiled = self.compiled(statement)
        try:
            row: Row | None = self._connect().execute(compiled.sql, compiled.arguments(params)).fetchone()
        except sqlite3.Error as error:
            log.debug("direct SQLite read failed (%s); reading through the pool", error)
            await self.close()  # the next read opens a fresh connection
            return await super().fetch_one(statement, params)
        return row

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


class _PostgresConnection:
    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.connection: Any = None


class _AsyncpgRowReader(RowReader):
    def __init__(self, engine: AsyncEngine, dsn: str) -> None:
        super().__init__(engine)
        self._dsn = dsn
        self._slots = [_PostgresConnection() for _ in range(PG_CONNECTIONS)]
        self._next = 0

    def _slot(self) -> _PostgresConnection:
        for slot in self._slots:
            if not slot.lock.locked():
                return slot
        self._next = (self._next + 1) % len(self._slots)
        return self._slots[self._next]

    async def fetch_one(self, statement: AnySelect, params: Mapping[str, Any]) -> Row | None:
        compiled = self.compiled(statement)
        slot = self._slot()
        async with slot.lock:
            try:
                if slot.connection is None or slot.connection.is_closed():
                    slot.connection = await asyncpg.connect(self._dsn, timeout=PG_CONNECT_TIMEOUT)
                row: Row | None = await slot.connection.fetchrow(compiled.sql, *compiled.arguments(params))
                return row
            except Exception as error:  # whatever breaks the shortcut, the pool answers
                log.debug(
                    "direct PostgreSQL read failed (%s); reading through the pool", type(error).__name__
                )
                connection, slot.connection = slot.connection, None
                if connection is not None:
                    connection.terminate()
        return await super().fetch_one(statement, params)

    async def close(self) -> None:
        for slot in self._slots:
            async with slot.lock:
                if slot.connection is not None:
                    await slot.connection.close()
                    slot.connection = None


def create_row_reader(settings: Settings, engine: AsyncEngine) -> RowReader:
    url = make_url(settings.database_url)
    path = settings.sqlite_path()
    if url.get_backend_name() == "sqlite" and path is not None:
        return _SqliteRowReader(engine, path)
    if url.get_backend_name() == "postgresql" and url.get_driver_name() == "asyncpg":
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        return _AsyncpgRowReader(engine, dsn)
    return RowReader(engine)
