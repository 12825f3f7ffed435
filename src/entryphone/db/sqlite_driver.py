"""SQLite under asyncio with one thread hand-off per statement.

aiosqlite runs each SQLite connection in its own thread and hands every DB-API call to it: through
SQLAlchemy's adapter one statement costs four hand-offs (cursor, execute, fetchall, close), each a
queue put, a thread wake-up and a wake-up of the event loop. Measured here, a request of eleven
short statements spent 92 hand-offs and ~20 ms of CPU on them, against microseconds in SQLite.

`OneHopConnection` keeps aiosqlite's thread and queue but gives SQLAlchemy a cursor whose
`execute` runs execute + fetchall + close as one function in that thread; the rows are buffered and
read back without another hand-off. SQLite statements are short and never stream here, so
buffering the whole result (what SQLAlchemy's aiosqlite adapter does anyway) changes nothing else.

`WriteGate` queues the process's writers in the event loop. SQLite lets one connection write at a
time; a second writer gets SQLITE_BUSY and its busy handler sleeps 1, 2, 5, 10, 15 ... ms before
trying again, so under concurrent writes a request could sleep tens of milliseconds for a lock
released long before (the p99 of door opens on SQLite was 1.6x that on PostgreSQL). A connection
takes the gate before its first write statement and gives it back when its transaction ends, so
the next writer starts the moment the lock is free. Other processes on the same file (the CLI)
still meet SQLite's own locking.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

Description = tuple[tuple[Any, ...], ...] | None

# Statements that never take SQLite's write lock by themselves; everything else (INSERT, UPDATE,
# DELETE, DDL, WITH ... which may write) goes through the gate.
_READ_ONLY = ("SELECT", "PRAGMA", "EXPLAIN", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")


def _writes(operation: str) -> bool:
    return not operation.lstrip()[:9].upper().startswith(_READ_ONLY)


class WriteGate:
    """One writer at a time among the connections of one engine, in arrival order."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout  # as SQLite's busy timeout: then "database is locked", as SQLite says
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _current(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:  # a lock belongs to one event loop
            self._lock, self._loop = asyncio.Lock(), loop
        return self._lock

    async def acquire(self) -> asyncio.Lock:
        lock = self._current()
        try:
            await asyncio.wait_for(lock.acquire(), self.timeout)
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked") from None
        return lock


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
        if _writes(operation):
            await self._connection.hold_gate()
        self._outcome = await self._connection.run(_run, operation, parameters, False)
        self._position = 0
        return self

    async def executemany(self, operation: str, parameters: Iterable[Any]) -> OneHopCursor:
        await self._connection.hold_gate()
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
    def __init__(self, connector: Callable[[], sqlite3.Connection], gate: WriteGate, **kwargs: Any) -> None:
        super().__init__(connector, **kwargs)
        self._gate = gate
        self._held: asyncio.Lock | None = None

    def cursor(self) -> OneHopCursor:  # type: ignore[override]
        return OneHopCursor(self)

    async def hold_gate(self) -> None:
        """Before a write: wait for this engine's other writers, unless this transaction already
        writes. Held until the transaction ends (commit, rollback, close)."""
        if self._held is None:
            self._held = await self._gate.acquire()

    async def _ending(self, end: Awaitable[None]) -> None:
        """Run what ends the transaction, then let the next writer in, whatever happened."""
        try:
            await end
        finally:
            held, self._held = self._held, None
            if held is not None:
                held.release()

    async def commit(self) -> None:
        await self._ending(super().commit())

    async def rollback(self) -> None:
        connection = self._connection
        if connection is not None and not connection.in_transaction and self._held is None:
            # Nothing to undo: the pool resets every connection it takes back, and most come back
            # committed or having only read; a hand-off for that cost more than the read.
            return
        await self._ending(super().rollback())

    async def close(self) -> None:
        await self._ending(super().close())

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run `function(sqlite3_connection, *args)` on this connection's thread: one hand-off."""
        return await self._execute(function, self._conn, *args)  # type: ignore[no-untyped-call]


def connector(path: Path | str, **kwargs: Any) -> Callable[[], OneHopConnection]:
    """An `async_creator` for SQLAlchemy: a new OneHopConnection to the file at `path`. The
    connections of one connector (one engine) share a WriteGate."""
    gate = WriteGate(float(kwargs.get("timeout", 5.0)))

    def connect() -> OneHopConnection:
        def open_database() -> sqlite3.Connection:
            connection: sqlite3.Connection = sqlite3.connect(str(path), **kwargs)
            return connection

        connection = OneHopConnection(open_database, gate, iter_chunk_size=64)
        connection._thread.daemon = True  # as SQLAlchemy does: never keep the interpreter alive
        return connection

    return connect
