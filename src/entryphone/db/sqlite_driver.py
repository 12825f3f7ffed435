"""SQLite under asyncio with one thread hand-off per statement.

aiosqlite runs each SQLite connection in its own thread and hands every DB-API call to it: through
SQLAlchemy's adapter one statement costs four hand-offs (cursor, execute, fetchall, close), each a
queue put, a thread wake-up and a wake-up of the event loop. Measured here, a request of eleven
short statements spent 92 hand-offs and ~20 ms of CPU on them, against microseconds in SQLite.

`OneHopConnection` keeps aiosqlite's thread and queue but gives SQLAlchemy a cursor whose
`execute` runs execute + fetchall + close as one function in that thread; the rows are buffered and
read back without another hand-off. SQLite statements are short and never stream here, so
buffering the whole result (what SQLAlchemy's aiosqlite adapter does anyway) changes nothing else.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

Description = tuple[tuple[Any, ...], ...] | None


class _Outcome:
    """What one statement left behind, read on the worker thread."""

    __slots__ = ("description", "lastrowid", "rowcount", "rows")

    def __init__(self, cursor: sqlite3.Cursor, rows: list[Any]) -> None:
        self.description: Description = cursor.description
        self.rowcount: int = cursor.rowcount
        self.lastrowid: int | None = cursor.lastrowid
        self.rows = rows


def _run(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return _Outcome(cursor, rows)
    finally:
        cursor.close()


class OneHopCursor:
    """The async cursor SQLAlchemy's aiosqlite adapter drives (its AsyncIODBAPICursor protocol)."""

    arraysize = 1

    def __init__(self, connection: OneHopConnection) -> None:
        self._connection = connection
        self._outcome: _Outcome | None = None
        self._position = 0

    async def __aenter__(self) -> OneHopCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    @property
    def description(self) -> Description:
        return self._outcome.description if self._outcome else None

    @property
    def rowcount(self) -> int:
        return self._outcome.rowcount if self._outcome else -1

    @property
    def lastrowid(self) -> int | None:
        return self._outcome.lastrowid if self._outcome else None

    async def execute(self, operation: str, parameters: Any = None) -> OneHopCursor:
        self._outcome = await self._connection.run(_run, operation, parameters, False)
        self._position = 0
        return self

    async def executemany(self, operation: str, parameters: Iterable[Any]) -> OneHopCursor:
        self._outcome = await self._connection.run(_run, operation, list(parameters), True)
        self._position = 0
        return self

    def _take(self, count: int | None) -> list[Any]:
        if self._outcome is None:
            return []
        rows = self._outcome.rows
        stop = len(rows) if count is None else min(len(rows), self._position + count)
        taken = rows[self._position : stop]
        self._position = stop
        return taken

    async def fetchone(self) -> Any:
        taken = self._take(1)
        return taken[0] if taken else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        return self._take(size or self.arraysize)

    async def fetchall(self) -> Sequence[Any]:
        return self._take(None)

    async def close(self) -> None:
        self._outcome = None

    async def setinputsizes(self, *_sizes: Any) -> None:
        return None

    def setoutputsize(self, *_args: Any) -> None:
        return None


class OneHopConnection(aiosqlite.Connection):
    def cursor(self) -> OneHopCursor:  # type: ignore[override]
        return OneHopCursor(self)

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run `function(sqlite3_connection, *args)` on this connection's thread: one hand-off."""
        return await self._execute(function, self._conn, *args)  # type: ignore[no-untyped-call]


def connector(path: Path | str, **kwargs: Any) -> Callable[[], OneHopConnection]:
    """An `async_creator` for SQLAlchemy: a new OneHopConnection to the file at `path`."""

    def connect() -> OneHopConnection:
        def open_database() -> sqlite3.Connection:
            connection: sqlite3.Connection = sqlite3.connect(str(path), **kwargs)
            return connection

        connection = OneHopConnection(open_database, iter_chunk_size=64)
        connection._thread.daemon = True  # as SQLAlchemy does: never keep the interpreter alive
        return connection

    return connect
