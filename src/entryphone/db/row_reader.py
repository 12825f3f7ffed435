"""Single-row reads on a driver connection of their own, for the one statement that every cached
API read runs (the caller's token and a read generation, api/reply_cache.py).

Through SQLAlchemy that statement cost 1.0-1.3 ms of CPU (pool checkout, execution context,
result processing, aiosqlite's thread hand-off), five times what the rest of a cached read costs
(bench/api_read). Here it is compiled once by SQLAlchemy and then run directly:

- SQLite: a connection of its own, `query_only`, used on the event loop's thread. A WAL reader
  does not wait for writers, and `busy_timeout=0` makes the rare exception (a checkpoint that must
  reset the log) fail at once instead of blocking the loop;
- PostgreSQL (asyncpg): four connections of its own, each used by one query at a time (asyncpg's
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
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import asyncpg
from sqlalchemy import Select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

from entryphone.config import Settings

log = logging.getLogger(__name__)

Row = Sequence[Any]
AnySelect = Select[*tuple[Any, ...]]
Statement = ClauseElement  # a SELECT here; an INSERT or UPDATE on the direct writer (row_writer.py)
PG_CONNECTIONS = 4
PG_CONNECT_TIMEOUT = 5.0
PG_COMMAND_TIMEOUT = 5.0  # a hung query falls back to the pool instead of holding requests


def as_utc(value: datetime | str | None) -> datetime | None:
    """A timestamp column of a row from any path as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class KeyedRead:
    """A one-row read by key, in two forms: `one` selects the row for the bind parameter `key`;
    `many` selects the key column followed by the same columns for the list `keys` (PostgreSQL
    `= ANY`). Concurrent reads of one KeyedRead share a round trip on PostgreSQL."""

    one: AnySelect
    many: AnySelect
    key: str
    keys: str


class Compiled:
    """A statement compiled once by SQLAlchemy for the engine's dialect, run by the driver itself."""

    def __init__(self, engine: AsyncEngine, statement: Statement) -> None:
        dialect = engine.dialect
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        self.sql = str(compiled)
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())
        binds = compiled.binds
        # Values written into the statement itself (`status != 'deleted'`) are anonymous binds.
        self.fixed = {
            name: bind.value
            for name, bind in binds.items()
            if name in self.names and not bind.required and bind.callable is None
        }
        # What SQLAlchemy does to a value before the driver sees it (a timestamp becomes SQLite's
        # text, an aware UTC datetime); None where a value goes as it is.
        self.processors = tuple(
            binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in self.names
        )

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        fixed = self.fixed
        values = [params[name] if name in params else fixed[name] for name in self.names]
        return [
            value if process is None or value is None else process(value)
            for value, process in zip(values, self.processors, strict=True)
        ]


class CompiledStatements:
    """Statements compiled once per engine, by identity: they are module constants, and each is
    kept alive with its compiled form."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._compiled: dict[int, tuple[Statement, Compiled]] = {}

    def __call__(self, statement: Statement) -> Compiled:
        entry = self._compiled.get(id(statement))
        if entry is None:
            entry = (statement, Compiled(self._engine, statement))
            self._compiled[id(statement)] = entry
        return entry[1]


class RowReader:
    """Reads one row of a SELECT through SQLAlchemy (the fallback every backend has)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.compiled = CompiledStatements(engine)

    async def fetch_one(self, statement: AnySelect, params: Mapping[str, Any]) -> Row | None:
        async with self._engine.connect() as connection:
            row: Row | None = (await connection.execute(statement, dict(params))).first()
        return row

    async def fetch_keyed(self, read: KeyedRead, key: Hashable, params: Mapping[str, Any]) -> Row | None:
        """The row of `read` for `key` (other bind parameters in `params`)."""
        return await self.fetch_one(read.one, {**params, read.key: key})

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


class PostgresSlot:
    """One direct connection, opened on first use and again after it broke."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.connection: Any = None

    async def open(self) -> Any:
        """The slot's connection (an asyncpg Connection), connecting first if it has none."""
        if self.connection is None or self.connection.is_closed():
            self.connection = await asyncpg.connect(
                self.dsn, timeout=PG_CONNECT_TIMEOUT, command_timeout=PG_COMMAND_TIMEOUT
            )
        return self.connection

    def drop(self) -> None:
        """Forget a connection that failed; the next use connects afresh."""
        connection, self.connection = self.connection, None
        if connection is not None:
            connection.terminate()

    async def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            await connection.close()


@dataclass
class _Batch:
    read: KeyedRead
    params: dict[str, Any]
    waiting: dict[Hashable, asyncio.Future[Row | None]] = field(default_factory=dict)


class _AsyncpgRowReader(RowReader):
    def __init__(self, engine: AsyncEngine, dsn: str) -> None:
        super().__init__(engine)
        # Free connections in one FIFO queue: a waiting read takes whichever connection frees first
        # (a lock per connection let reads queue behind a slow one while others were idle).
        self._free: asyncio.Queue[PostgresSlot] = asyncio.Queue()
        for _ in range(PG_CONNECTIONS):
            self._free.put_nowait(PostgresSlot(dsn))
        self._batches: dict[Hashable, _Batch] = {}
        self._flusher: asyncio.Task[None] | None = None
        self._answering: set[asyncio.Task[None]] = set()  # the loop only keeps weak references

    async def fetch_keyed(self, read: KeyedRead, key: Hashable, params: Mapping[str, Any]) -> Row | None:
        # Reads wait together while every connection is busy, then go as one `= ANY` statement:
        # under load one round trip answers many requests (its CPU is most of a cached read's).
        group = (id(read), tuple(sorted(params.items())))
        batch = self._batches.get(group)
        if batch is None:
            batch = self._batches[group] = _Batch(read, dict(params))
            if self._flusher is None or self._flusher.done():
                self._flusher = asyncio.get_running_loop().create_task(self._flush())
        future = batch.waiting.get(key)
        if future is None:
            future = batch.waiting[key] = asyncio.get_running_loop().create_future()
        return await asyncio.shield(future)

    async def _flush(self) -> None:
        while self._batches:
            slot = await self._free.get()
            group = next(iter(self._batches))
            batch = self._batches.pop(group)
            task = asyncio.get_running_loop().create_task(self._answer(slot, batch))
            self._answering.add(task)
            task.add_done_callback(self._answering.discard)

    async def _answer(self, slot: PostgresSlot, batch: _Batch) -> None:
        read, keys = batch.read, list(batch.waiting)
        try:
            rows = await self._run(slot, read.many, {**batch.params, read.keys: keys})
        finally:
            self._free.put_nowait(slot)
        if rows is not None:
            found = {row[0]: row[1:] for row in rows}
            for key, future in batch.waiting.items():
                if not future.done():
                    future.set_result(found.get(key))
            return
        for key, future in batch.waiting.items():  # the direct path failed: each through the pool
            try:
                row = await RowReader.fetch_one(self, read.one, {**batch.params, read.key: key})
            except Exception as error:  # the waiting request gets the pool's own error
                if not future.done():
                    future.set_exception(error)
            else:
                if not future.done():
                    future.set_result(row)

    async def _run(
        self, slot: PostgresSlot, statement: AnySelect, params: Mapping[str, Any]
    ) -> list[Row] | None:
        """All rows of `statement` on `slot`'s connection, or None when that connection failed."""
        compiled = self.compiled(statement)
        try:
            connection = await slot.open()
            rows: list[Row] = await connection.fetch(compiled.sql, *compiled.arguments(params))
            return rows
        except Exception as error:  # whatever breaks the shortcut, the pool answers
            log.debug("direct PostgreSQL read failed (%s); reading through the pool", type(error).__name__)
            slot.drop()
            return None

    async def fetch_one(self, statement: AnySelect, params: Mapping[str, Any]) -> Row | None:
        slot = await self._free.get()
        try:
            rows = await self._run(slot, statement, params)
        finally:
            self._free.put_nowait(slot)
        if rows is None:
            return await super().fetch_one(statement, params)
        return rows[0] if rows else None

    async def close(self) -> None:
        slots = [await self._free.get() for _ in range(PG_CONNECTIONS)]  # waits for reads in flight
        for slot in slots:
            await slot.close()
            self._free.put_nowait(slot)


def create_row_reader(settings: Settings, engine: AsyncEngine) -> RowReader:
    url = make_url(settings.database_url)
    path = settings.sqlite_path()
    if url.get_backend_name() == "sqlite" and path is not None:
        return _SqliteRowReader(engine, path)
    if url.get_backend_name() == "postgresql" and url.get_driver_name() == "asyncpg":
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        return _AsyncpgRowReader(engine, dsn)
    return RowReader(engine)
