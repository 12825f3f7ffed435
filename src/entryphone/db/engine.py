"""Engine and session factories. Built by the app's lifespan or the CLI, never at import time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from entryphone.config import Settings
from entryphone.db import sqlite_driver

SQLITE_BUSY_TIMEOUT = 30.0  # seconds a writer waits for another before "database is locked"


def create_engine(settings: Settings) -> AsyncEngine:
    url = make_url(settings.database_url)
    kwargs: dict[str, Any] = {}
    gate: sqlite_driver.WriteGate | None = None
    if url.get_backend_name() == "sqlite":
        path = settings.sqlite_path()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            # One thread hand-off per statement instead of four, writers queued (db/sqlite_driver.py).
            gate = sqlite_driver.WriteGate(SQLITE_BUSY_TIMEOUT)
            kwargs["async_creator"] = sqlite_driver.connector(
                path, gate, timeout=SQLITE_BUSY_TIMEOUT, check_same_thread=False
            )
        else:
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT}
    else:
        # No pre-ping: it cost a round trip and ~0.7 ms of CPU on every checkout (bench/api_read).
        # A connection found dead invalidates the whole pool, so after a PostgreSQL restart a
        # request or two answer 503 (api/errors.py) and the next ones reconnect.
        kwargs.update(pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow)
    engine = create_async_engine(url, **kwargs)
    if gate is not None:
        sqlite_driver.share_gate(engine, gate)  # the direct writer's too (db/row_writer.py)
    if url.get_backend_name() == "sqlite":
        _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: AsyncEngine) -> None:
    """WAL lets readers run beside the one writer; foreign keys are off by default in SQLite."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT * 1000)}")
        cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
