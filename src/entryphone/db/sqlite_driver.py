"""SQLite under asyncio with one thread hand-off per statement.

aiosqlite runs each SQLite connection in its own thread and hands every DB-API call to it: through
SQLAlchemy's adapter one statement costs four hand-offs (cursor, execute, fetchall, close), each a
queue put, a thread wake-up and a wake-up of the event loop. Measured here, a request of eleven
short statements spent 92 hand-offs and ~20 ms of CPU on them, against microseconds in SQLite.

`OneHopConnection` keeps aiosqlite's thread and queue but gives SQLAlchemy a cursor whose
`execute` runs execute + fetchall + close as one function in that thread; the rows are buffered and
read back without another hand-off. SQLite statements are short and never stream here, so
buffering the whole result (what SQLAlchemy's aiosqlite adapter does anyway) changes nothing else.

`WriteGate` queues the process's writers. SQLite lets one connection write at a time; a second
writer gets SQLITE_BUSY and its busy handler sleeps 1, 2, 5, 10, 15 ... ms before trying again, so
under concurrent writes a request could sleep tens of milliseconds for a lock released long before
(the p99 of door opens on SQLite was 1.6x that on PostgreSQL). A connection takes the gate before
its first write statement and gives it back when its transaction ends, so the next writer starts
the moment the lock is free. The gate is taken and given back on the connections' own threads, in
the same hand-off as the statement or the commit: a writer waits in its thread, never in the event
loop, and the next one goes as soon as the commit returns, not when the busy event loop next gets
round to it (held across loop turns, it made each of a door open's two writes wait up to 15 ms at
p99 under 50 residents, bench/door_open). Other processes on the same file (the CLI) still meet
SQLite's own locking.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy.ext.asyncio import AsyncEngine

Description = tuple[tuple[Any, ...], ...] | None

# Statements that never take SQLite's write lock by themselves; everything else (INSERT, UPDATE,
# DELETE, DDL, WITH ... which may write) goes through the gate.
_READ_ONLY = ("SELECT", "PRAGMA", "EXPLAIN", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")


def _writes(operation: str) -> bool:
    return not operation.lstrip()[:9].upper().startswith(_READ_ONLY)


class GateTimeout(sqlite3.OperationalError):
    """A writer waited for the gate as long as SQLite's busy timeout: what SQLite itself says then."""


def is_busy(error: sqlite3.Error) -> bool:
    """The database stayed locked by another writer for the whole busy timeout (gate or SQLite)."""
    return isinstance(error, GateTimeout) or getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY


class WriteGate:
    """One writer at a time among the connections of one engine (and its direct writer,
    db/row_writer.py). Taken and given back on the writers' threads."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout  # as SQLite's busy timeout: then "database is locked", as SQLite says
        self._lock = threading.Lock()

    def acquire(self) -> None:
        if not self._lock.acquire(timeout=self.timeout):
            raise GateTimeout("database is locked")

    def release(self) -> None:
        self._lock.release()


_GATES: weakref.WeakKeyDictionary[Any, WriteGate] = weakref.WeakKeyDictionary()


def share_gate(engine: AsyncEngine, gate: WriteGate) -> None:
    """Make `gate` the one `gate_of(engine)` answers (the engine's connector uses it)."""
    _GATES[engine.sync_engine] = gate


def gate_of(engine: AsyncEngine) -> WriteGate | None:
    return _GATES.get(engine.sync_engine)


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
        run = self._connection.write if _writes(operation) else self._connection.run
        self._outcome = await run(_run, operation, parameters, False)
        self._position = 0
        return self

    async def executemany(self, operation: str, parameters: Iterable[Any]) -> OneHopCursor:
        self._outcome = await self._connection.write(_run, operation, list(parameters), True)
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
        self._holds_gate = False  # set and cleared on this connection's thread only

    def cursor(self) -> OneHopCursor:  # type: ignore[override]
        return OneHopCursor(self)

    def _take_gate(self) -> None:
        """Before a write, on this connection's thread: wait for the engine's other writers, unless
        this transaction already writes. Held until the transaction ends (commit, rollback, close)."""
        if not self._holds_gate:
            self._gate.acquire()
            self._holds_gate = True

    def _end(self, end: Callable[[], None]) -> None:
        """End the transaction, then let the next writer in, whatever happened (on the thread)."""
        try:
            end()
        finally:
            if self._holds_gate:
                self._holds_gate = False
                self._gate.release()

    def _gated(self, function: Callable[..., Any], *args: Any) -> Any:
        self._take_gate()
        return function(self._conn, *args)

    async def commit(self) -> None:
        await self._execute(self._end, self._conn.commit)  # type: ignore[no-untyped-call]

    async def rollback(self) -> None:
        connection = self._connection
        if connection is not None and not connection.in_transaction and not self._holds_gate:
            # Nothing to undo: the pool resets every connection it takes back, and most come back
            # committed or having only read; a hand-off for that cost more than the read.
            return
        await self._execute(self._end, self._conn.rollback)  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        if self._connection is not None and self._holds_gate:
            await self._execute(self._end, self._conn.rollback)  # type: ignore[no-untyped-call]
        await super().close()

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run `function(sqlite3_connection, *args)` on this connection's thread: one hand-off."""
        return await self._execute(function, self._conn, *args)  # type: ignore[no-untyped-call]

    async def write(self, function: Callable[..., Any], *args: Any) -> Any:
        """`run` for a statement that writes: the gate is taken in the same hand-off."""
        return await self._execute(self._gated, function, *args)  # type: ignore[no-untyped-call]


def connector(
    path: Path | str, gate: WriteGate | None = None, **kwargs: Any
) -> Callable[[], OneHopConnection]:
    """An `async_creator` for SQLAlchemy: a new OneHopConnection to the file at `path`. The
    connections of one connector (one engine) share `gate` (a new one if not given)."""
    gate = gate or WriteGate(float(kwargs.get("timeout", 5.0)))

    def connect() -> OneHopConnection:
        def open_database() -> sqlite3.Connection:
            connection: sqlite3.Connection = sqlite3.connect(str(path), **kwargs)
            return connection

        connection = OneHopConnection(open_database, gate, iter_chunk_size=64)
        connection._thread.daemon = True  # as SQLAlchemy does: never keep the interpreter alive
        return connection

    return connect
