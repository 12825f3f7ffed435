"""Engine and session factories. Built by the app's lifespan or the CLI, never at import time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from entryphone.config import Settings

SQLITE_BUSY_TIMEOUT = 30.0  # seconds a writer waits for another before "database is locked"


def create_engine(settings: Settings) -> AsyncEngine:
    url = make_url(settings.database_url)
    kwargs: dict[str, Any] = {}
    if url.get_backend_name() == "sqlite":
        path = settings.sqlite_path()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        # SQLite lets one connection write at a time: a second writer waits in SQLite's busy
        # handler up to this long before "database is locked".
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT}
    else:
        # No pre-ping (a round trip per checkout): a connection found dead invalidates the whole
        # pool, so after a PostgreSQL restart a request or two answer 503 (api/errors.py) and the
        # next ones reconnect.
        kwargs.update(pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow)
    engine = create_async_engine(url, **kwargs)
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
