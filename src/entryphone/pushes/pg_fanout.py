"""Fan-out across processes through PostgreSQL LISTEN/NOTIFY: a push published by any process (an
API node, a supervisor) reaches the residents' WebSockets on every API node sharing the database."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from entryphone.pushes.events import Push
from entryphone.pushes.hub import Deliver

log = logging.getLogger(__name__)

CHANNEL = "entryphone_pushes"
# NOTIFY payloads are limited to 8000 bytes; pushes carry summaries, far below that.
MAX_PAYLOAD = 7900
RECONNECT_SECONDS = 1.0


def asyncpg_dsn(database_url: str) -> str:
    """The SQLAlchemy URL (postgresql+asyncpg://...) as a plain libpq DSN for asyncpg."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def encode(push: Push) -> str:
    return json.dumps(
        {
            "account_id": push.account_id,
            "event": push.event,
            "data": push.data,
            "exclude_device": push.exclude_device,
            "devices": sorted(push.devices) if push.devices is not None else None,
        },
        separators=(",", ":"),
        default=str,
    )


def decode(payload: str) -> Push:
    raw: dict[str, Any] = json.loads(payload)
    devices = raw.get("devices")
    return Push(
        account_id=int(raw["account_id"]),
        event=str(raw["event"]),
        data=dict(raw.get("data") or {}),
        exclude_device=raw.get("exclude_device"),
        devices=frozenset(devices) if devices is not None else None,
    )


class PostgresFanOut:
    """One connection per process LISTENs (and NOTIFYs); lost connections are re-established."""

    def __init__(self, database_url: str) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._deliver: Deliver | None = None
        self._connection: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self._closing = False
        self._deliveries: set[asyncio.Future[None]] = set()

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver
        await self._connect()

    async def _connect(self) -> asyncpg.Connection:
        connection: asyncpg.Connection = await asyncpg.connect(self._dsn)
        await connection.add_listener(CHANNEL, self._on_notify)
        connection.add_termination_listener(self._on_terminated)
        self._connection = connection
        return connection

    def _on_notify(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        deliver = self._deliver
        if deliver is None:
            return
        try:
            push = decode(payload)
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed push notification")
            return
        task = asyncio.ensure_future(deliver(push))
        self._deliveries.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._deliveries.discard)

    def _on_terminated(self, _connection: Any) -> None:
        self._connection = None
        if not self._closing:
            log.warning("push fan-out connection lost; reconnecting")

    async def publish(self, push: Push) -> None:
        payload = encode(push)
        if len(payload.encode()) > MAX_PAYLOAD:
            # Too big for NOTIFY: deliver here at least, and say so.
            log.warning("push %s too large for NOTIFY; delivered on this node only", push.event)
            if self._deliver is not None:
                await self._deliver(push)
            return
        async with self._lock:
            for attempt in range(2):
                try:
                    connection = self._connection or await self._connect()
                    await connection.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)
                    return
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                    self._connection = None
                    if attempt == 1:
                        raise
                    await asyncio.sleep(RECONNECT_SECONDS)

    async def stop(self) -> None:
        self._closing = True
        self._deliver = None
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close(timeout=5)
