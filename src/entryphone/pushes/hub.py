"""The push hub: per-resident WebSocket connections, fan-out behind a small interface, and a
provider for the resident's devices that are not connected.

The fan-out decides which process delivers a push. `LocalFanOut` delivers in this process; a
multi-node deployment plugs in a backend (PostgreSQL LISTEN/NOTIFY) with the same three methods.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from entryphone.pushes.events import Push

log = logging.getLogger(__name__)

Deliver = Callable[[Push], Awaitable[None]]
# account id -> every device id (X-UUID) the resident is known to use.
DeviceDirectory = Callable[[int], Awaitable[list[str]]]

# A connection that falls this far behind is closed rather than allowed to hold memory.
CONNECTION_QUEUE_SIZE = 256


class FanOut(Protocol):
    """Carries a published push to every process that may hold the resident's connections."""

    async def start(self, deliver: Deliver) -> None: ...

    async def publish(self, push: Push) -> None: ...

    async def stop(self) -> None: ...


class PushProvider(Protocol):
    """Delivers a push to devices that have no live connection (mobile push service, webhook ...)."""

    async def send(self, push: Push, devices: list[str]) -> bool: ...

    async def close(self) -> None: ...


class Publisher(Protocol):
    """What domain services need: hand over a push, from any thread, without waiting."""

    def publish_nowait(self, push: Push) -> None: ...


class LocalFanOut:
    """One process: a published push is delivered right here."""

    def __init__(self) -> None:
        self._deliver: Deliver | None = None

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def publish(self, push: Push) -> None:
        if self._deliver is None:
            raise RuntimeError("the fan-out is not started")
        await self._deliver(push)

    async def stop(self) -> None:
        self._deliver = None


@dataclass(eq=False)
class Connection:
    """One live WebSocket of one device of one resident."""

    account_id: int
    device: str
    queue: asyncio.Queue[Push] = field(default_factory=lambda: asyncio.Queue(CONNECTION_QUEUE_SIZE))
    overflowed: asyncio.Event = field(default_factory=asyncio.Event)


class PushHub:
    def __init__(
        self,
        *,
        fanout: FanOut | None = None,
        provider: PushProvider | None = None,
        devices: DeviceDirectory | None = None,
    ) -> None:
        self.fanout: FanOut = fanout or LocalFanOut()
        self.provider = provider
        self._devices = devices
        self._connections: dict[int, set[Connection]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self.fanout.start(self._deliver)

    async def stop(self) -> None:
        # Let pushes already handed over finish (bounded by the provider's own retry budget).
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=30)
        await self.fanout.stop()
        if self.provider is not None:
            await self.provider.close()
        self._loop = None

    # -- publishing ------------------------------------------------------------------------------

    async def publish(self, push: Push) -> None:
        """Hand the push to every process's WebSockets (the fan-out), then, from this process only,
        to the provider for the resident's devices that have no connection here."""
        await self.fanout.publish(push)
        if self.provider is None or self._devices is None:
            return
        connected = self.connected_devices(push.account_id)
        offline = [
            device
            for device in await self._devices(push.account_id)
            if device not in connected and push.reaches(device)
        ]
        if offline:
            self._spawn(self._send(push, offline))

    def publish_nowait(self, push: Push) -> None:
        """Thread-safe and non-blocking: used from after-commit hooks and other threads."""
        loop = self._loop
        if loop is None:
            log.warning("push %s for %s dropped: the hub is not running", push.event, push.channel)
            return
        loop.call_soon_threadsafe(self._spawn, self.publish(push))

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("push delivery failed", exc_info=task.exception())

    async def drain(self) -> None:
        """Wait until every push handed over so far is delivered (tests, orderly shutdown)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    # -- connections -----------------------------------------------------------------------------

    def connect(self, account_id: int, device: str) -> Connection:
        connection = Connection(account_id=account_id, device=device)
        self._connections.setdefault(account_id, set()).add(connection)
        return connection

    def disconnect(self, connection: Connection) -> None:
        connections = self._connections.get(connection.account_id)
        if connections is not None:
            connections.discard(connection)
            if not connections:
                del self._connections[connection.account_id]

    def connected_devices(self, account_id: int) -> set[str]:
        return {connection.device for connection in self._connections.get(account_id, ())}

    # -- delivery (runs in the process the fan-out chose) ----------------------------------------

    async def _deliver(self, push: Push) -> None:
        """Every process: put the push on this process's live connections of the resident."""
        for connection in list(self._connections.get(push.account_id, ())):
            if not push.reaches(connection.device):
                continue
            try:
                connection.queue.put_nowait(push)
            except asyncio.QueueFull:
                connection.overflowed.set()

    async def _send(self, push: Push, devices: list[str]) -> None:
        assert self.provider is not None
        if not await self.provider.send(push, devices):
            log.warning(
                "push %s for %s was not delivered to %d offline devices",
                push.event,
                push.channel,
                len(devices),
            )
