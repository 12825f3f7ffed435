"""One device's event loop: subscribe (catching up on what was missed), long-poll, store, repeat."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from entryphone.context import AppContext
from entryphone.db.base import utcnow
from entryphone.devices.driver import DeviceDriver
from entryphone.devices.errors import DeviceAuthFailed, DriverError
from entryphone.devices.models import DeviceEvent, EventSubscription
from entryphone.fleet import repository
from entryphone.fleet.backoff import Backoff
from entryphone.fleet.panel_state import PanelStateLog
from entryphone.fleet.writer import JournalWriter
from entryphone.observability.metrics import SERVICE_NAME as METRICS
from entryphone.observability.metrics import Metrics

log = logging.getLogger(__name__)

# Extra history asked for on (re)subscription: covers clock granularity and the gap between the
# last stored event and the moment the device lost us. Overlap is absorbed by the dedupe key.
CATCH_UP_MARGIN = timedelta(seconds=30)
# The device keeps at most 10,000 events; asking for more history than a day buys nothing.
MAX_CATCH_UP = timedelta(hours=24)

OnlineListener = Callable[[int, bool], Awaitable[None]]
ConnectedListener = Callable[[int], None]


class FleetGates:
    """Bounds shared by one supervisor's workers. Without them a thousand workers connect at once
    (a probe is several device calls each) and queue on the connection pool until its timeout, and
    every timeout turned into a reconnect that cost more of the same."""

    def __init__(self, connecting: int = 32, database: int = 8) -> None:
        # Storing events does not pass the database gate: the journal writer is a single task.
        self.connecting = asyncio.Semaphore(connecting)
        self.database = asyncio.Semaphore(database)


class DeviceWorker:
    def __init__(
        self,
        intercom_id: int,
        driver: DeviceDriver,
        context: AppContext,
        writer: JournalWriter,
        on_online_change: OnlineListener | None = None,
        on_connected: ConnectedListener | None = None,
        gates: FleetGates | None = None,
    ) -> None:
        self.intercom_id = intercom_id
        self.on_connected = on_connected
        self.gates = gates or FleetGates()
        self.driver = driver
        self.context = context
        self.writer = writer
        self.on_online_change = on_online_change
        self.settings = context.settings
        self.online: bool | None = None
        self.state_log = PanelStateLog(intercom_id)
        # Bumped on every (re)connection: the supervisor re-syncs keys after a device returns.
        self.connections = 0
        self.events_stored = 0
        self.pull_errors = 0
        found = context.services.get(METRICS)
        self._metrics = found if isinstance(found, Metrics) else None

    async def run(self) -> None:
        backoff = Backoff(base=0.5, ceiling=self.settings.reconnect_max_seconds)
        subscription: EventSubscription | None = None
        try:
            while True:
                try:
                    if subscription is None:
                        async with self.gates.connecting:
                            window = await self._catch_up_window()
                            subscription = await self.driver.subscribe_events(window)
                        self.connections += 1
                        await self._set_online(True, None)
                        if self.on_connected is not None:
                            self.on_connected(self.intercom_id)
                    events = await self.driver.pull_events(subscription, wait=self.settings.event_pull_wait)
                    if events:
                        await self._store_until_stored(events, backoff)
                    backoff.reset()
                except asyncio.CancelledError:
                    raise
                except DriverError as exc:
                    subscription = None
                    self._count_pull_error()
                    reason = (
                        "the device refused the credentials"
                        if isinstance(exc, DeviceAuthFailed)
                        else str(exc)
                    )
                    await self._set_online(False, reason)
                    await asyncio.sleep(backoff.next_delay())
                except Exception:
                    # A database hiccup must not kill the loop; the events stay on the device and
                    # are caught up after resubscribing.
                    subscription = None
                    self._count_pull_error()
                    log.exception("intercom %s: event loop error", self.intercom_id)
                    await asyncio.sleep(backoff.next_delay())
        finally:
            if subscription is not None:
                # Best effort, bounded: the channel expires on the panel anyway. The shielded call
                # may outlive the wait (a whole fleet stopping at once) and then fail when the
                # HTTP session closes; its outcome is consumed so it is not logged as unretrieved.
                unsubscribing = asyncio.ensure_future(self.driver.unsubscribe_events(subscription))
                unsubscribing.add_done_callback(_consume)
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(unsubscribing), 2)

    def _count_pull_error(self) -> None:
        self.pull_errors += 1
        if self._metrics is not None:
            self._metrics.pull_errors.inc()

    async def _catch_up_window(self) -> timedelta:
        async with self.gates.database, self.context.sessions() as session:
            last = await repository.last_event_at(session, self.intercom_id)
            if last is None:
                intercom = (await repository.intercoms_by_id(session, [self.intercom_id])).get(
                    self.intercom_id
                )
                last = intercom.created_at if intercom else utcnow()
        window = utcnow() - last + CATCH_UP_MARGIN
        return min(max(window, CATCH_UP_MARGIN), MAX_CATCH_UP)

    async def _store_until_stored(self, events: list[DeviceEvent], backoff: Backoff) -> None:
        """The events are in hand: a database hiccup is retried with them, keeping the device's
        channel, instead of dropping the channel and catching up (which costs the device a probe)."""
        while True:
            try:
                await self._store(events)
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception(
                    "intercom %s: storing %d events failed; retrying", self.intercom_id, len(events)
                )
                await asyncio.sleep(backoff.next_delay())

    async def _store(self, events: list[DeviceEvent]) -> None:
        stored = await self.writer.store(self.intercom_id, events)
        self.events_stored += len(stored)
        if self._metrics is not None:
            self._metrics.events_ingested.inc(len(stored))

    async def _set_online(self, online: bool, error: str | None) -> None:
        self.state_log.observed(online, error)
        if self.online is online and online:
            return
        now = utcnow()
        async with self.gates.database, self.context.sessions() as session, session.begin():
            changed = await repository.set_online(session, self.intercom_id, online, now)
            if error is not None:
                await repository.upsert_device_state(
                    session, self.intercom_id, last_error=error, last_error_at=now
                )
        self.online = online
        if changed and self.on_online_change is not None:
            await self.on_online_change(self.intercom_id, online)


def _consume(task: asyncio.Future[None]) -> None:
    if not task.cancelled():
        task.exception()
