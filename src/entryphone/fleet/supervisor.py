"""The fleet supervisor: owns intercoms through leases and runs one DeviceWorker per owned device.

Every tick (a third of the lease time) it heartbeats, renews its leases, takes free or expired ones
up to its fair share (eligible intercoms / live nodes), gives back what is beyond it, and starts,
restarts (connection changed) or stops workers to match. Device I/O never happens inside the
tick's transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from entryphone.codes import service as codes
from entryphone.context import AppContext
from entryphone.db.base import utcnow
from entryphone.errors import DeviceCannot
from entryphone.fleet import repository
from entryphone.fleet.access import DeviceAccess, connection_fingerprint
from entryphone.fleet.journal import Effect
from entryphone.fleet.keysync import sync_intercom
from entryphone.fleet.sipsync import provision_intercom
from entryphone.fleet.worker import DeviceWorker, FleetGates, OnlineListener
from entryphone.fleet.writer import JournalWriter
from entryphone.models import Intercom

log = logging.getLogger(__name__)

HOUSEKEEPING_INTERVAL = timedelta(minutes=1)
CONNECTED_GATHER_SECONDS = 0.1
KEYS = "keys"
SIP = "sip"


@dataclass
class _Running:
    worker: DeviceWorker
    task: asyncio.Task[None]
    fingerprint: tuple[object, ...]


class Supervisor:
    def __init__(
        self,
        context: AppContext,
        access: DeviceAccess,
        effects: Sequence[Effect] = (),
        on_online_change: OnlineListener | None = None,
        on_population: Callable[[int], object] | None = None,
    ) -> None:
        """`on_population` hears, every tick, how many panels are online here: the supervisor's
        own entry point tunes its heap with it (entryphone/heap.py)."""
        self.context = context
        self.access = access
        self.writer = JournalWriter(context, effects)
        self.on_online_change = on_online_change
        self.settings = context.settings
        self.node_id = context.settings.node_id
        self.lease = timedelta(seconds=self.settings.lease_seconds)
        # last_seen_at says when the platform last heard from a panel; to the half minute is
        # precise enough, and rewriting every row of a large fleet each tick costs the database.
        self.last_seen_interval = timedelta(seconds=self.settings.last_seen_seconds)
        self._running: dict[int, _Running] = {}
        # (kind, intercom) -> (worker connection number, desired-state fingerprint) of the last
        # sync started, and the sync running; kinds: keys (keys and codes), sip (phone settings).
        self._synced: dict[tuple[str, int], tuple[int, tuple[object, ...]]] = {}
        self._syncing: dict[tuple[str, int], asyncio.Task[None]] = {}
        self._connecting: set[asyncio.Task[None]] = set()
        self._connected: set[int] = set()
        self._last_seen_at: datetime | None = None
        self._housekeeping_at: datetime | None = None
        self._gates = FleetGates()
        self.on_population = on_population
        self._task: asyncio.Task[None] | None = None
        self.ticks = 0
        self.last_tick_error: str | None = None

    # -- life cycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=f"supervisor {self.node_id}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._stop_workers(list(self._running))
        await self.writer.stop()
        # Key syncs started on reconnects must not outlive the supervisor: they hold database
        # connections (and, on SQLite, a driver thread) that would keep the process from exiting.
        pending = list(self._connecting)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        with contextlib.suppress(Exception):
            async with self.context.sessions() as session, session.begin():
                await repository.forget_node(session, self.node_id)  # hand the fleet over at once

    @property
    def is_running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def owned(self) -> list[int]:
        return sorted(self._running)

    def worker(self, intercom_id: int) -> DeviceWorker | None:
        running = self._running.get(intercom_id)
        return running.worker if running else None

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
                self.last_tick_error = None
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.last_tick_error = f"{type(exc).__name__}: {exc}"
                log.exception("supervisor tick failed")
            await asyncio.sleep(self.settings.lease_seconds / 3)

    # -- one reconciliation -----------------------------------------------------------------------

    async def tick(self) -> None:
        now = utcnow()
        until = now + self.lease
        vendors = self.access.registry.vendors()
        async with self.context.sessions() as session, session.begin():
            await repository.heartbeat(session, self.node_id, now)
            await repository.ensure_lease_rows(session, vendors)
            kept = await repository.renew(session, self.node_id, now, until, vendors)
            nodes = await repository.live_node_count(session, now - self.lease)
            share = math.ceil(await repository.count_eligible(session, vendors) / nodes)
            acquired = await repository.acquire(session, self.node_id, now, until, share - len(kept), vendors)
            owned = kept + acquired
            # Give back what is beyond a fair share so a node that joins gets work. Shares are rounded
            # up, so together they always cover the fleet and released leases find a taker.
            surplus = owned[share:]
            await repository.release(session, self.node_id, surplus)
            owned = [intercom_id for intercom_id in owned if intercom_id not in set(surplus)]
            connections = await repository.owned_connections(session, self.node_id)
            fingerprints = await repository.key_fingerprints(session, owned, node_id=self.node_id)
            sip = await repository.sip_fingerprints(session, owned, node_id=self.node_id)
        self.ticks += 1
        await self._housekeeping(now)
        await self._touch_last_seen(now)
        await self._reconcile(connections)
        self._sync_changed(KEYS, fingerprints)
        self._sync_changed(SIP, sip)
        if self.on_population is not None:
            self.on_population(sum(1 for running in self._running.values() if running.worker.online))

    def _device_connected(self, intercom_id: int) -> None:
        """A panel (re)connected: reconcile its keys and phone settings now rather than at the next
        tick. Panels that connect about the same time (a start-up, a network coming back) share one lookup."""
        self._connected.add(intercom_id)
        if not self._connecting:
            task = asyncio.create_task(self._sync_after_connect(), name="connected panels")
            self._connecting.add(task)
            task.add_done_callback(self._connecting.discard)

    async def _sync_after_connect(self) -> None:
        while self._connected:
            await asyncio.sleep(CONNECTED_GATHER_SECONDS)
            intercom_ids = sorted(self._connected)
            self._connected.clear()
            async with self.context.sessions() as session:
                fingerprints = await repository.key_fingerprints(session, intercom_ids)
                sip = await repository.sip_fingerprints(session, intercom_ids)
            self._sync_changed(KEYS, fingerprints)
            self._sync_changed(SIP, sip)

    def _sync_changed(self, kind: str, fingerprints: dict[int, tuple[object, ...]]) -> None:
        """Push `kind` to every online device whose desired state changed, or that came back
        since its last sync. One sync per device and kind at a time; a failed one is retried on
        change or reconnect."""
        for intercom_id, fingerprint in fingerprints.items():
            running = self._running.get(intercom_id)
            if running is None or not running.worker.online:
                continue
            wanted = (running.worker.connections, fingerprint)
            busy = self._syncing.get((kind, intercom_id))
            if self._synced.get((kind, intercom_id)) == wanted or (busy is not None and not busy.done()):
                continue
            self._synced[(kind, intercom_id)] = wanted
            self._syncing[(kind, intercom_id)] = asyncio.create_task(
                self._sync(kind, intercom_id), name=f"{kind} {intercom_id}"
            )

    async def _sync(self, kind: str, intercom_id: int) -> None:
        try:
            if kind == KEYS:
                await sync_intercom(self.context, self.access, intercom_id)
            else:
                await provision_intercom(self.context, self.access, intercom_id)
        except DeviceCannot as exc:
            log.info("intercom %s: %s not synced: %s", intercom_id, kind, exc.message)
        except Exception:
            log.exception("intercom %s: %s sync failed", intercom_id, kind)

    async def _touch_last_seen(self, now: datetime) -> None:
        """last_seen_at of every panel this node hears from, in one statement every
        `last_seen_interval` (a write per panel every few seconds would cost a transaction each)."""
        if self._last_seen_at is not None and now - self._last_seen_at < self.last_seen_interval:
            return
        if any(running.worker.online for running in self._running.values()):
            self._last_seen_at = now
            async with self.context.sessions() as session, session.begin():
                await repository.touch_last_seen(session, self.node_id, now)

    async def _housekeeping(self, now: datetime) -> None:
        """Periodic upkeep that belongs to no single device: codes are purged a day after expiry
        (their removal then reaches the panels through the key sync)."""
        if self._housekeeping_at is not None and now - self._housekeeping_at < HOUSEKEEPING_INTERVAL:
            return
        self._housekeeping_at = now
        async with self.context.sessions() as session, session.begin():
            purged = await codes.purge_expired(session, now)
        if purged:
            log.info("purged %d codes a day past their expiry", purged)

    async def _reconcile(self, connections: dict[int, Any]) -> None:
        wanted = {
            intercom_id: connection_fingerprint(cast(Intercom, row))
            for intercom_id, row in connections.items()
        }
        gone = [intercom_id for intercom_id in self._running if intercom_id not in wanted]
        changed = [
            intercom_id
            for intercom_id, running in self._running.items()
            if intercom_id in wanted and running.fingerprint != wanted[intercom_id]
        ]
        await self._stop_workers(gone + changed)
        starting = [
            intercom_id
            for intercom_id in wanted
            if (running := self._running.get(intercom_id)) is None or running.task.done()
        ]
        if not starting:
            return
        # Whole rows only for the workers to start (a driver needs the intercom), not every tick.
        async with self.context.sessions() as session:
            intercoms = await repository.intercoms_by_id(session, starting)
        for intercom_id, intercom in intercoms.items():
            try:
                driver = self.access.driver(intercom)
            except Exception as exc:  # cannot even build a driver (e.g. undecryptable password)
                log.warning("intercom %s: cannot connect: %s", intercom_id, exc)
                continue
            worker = DeviceWorker(
                intercom_id,
                driver,
                self.context,
                self.writer,
                self.on_online_change,
                self._device_connected,
                self._gates,
            )
            task = asyncio.create_task(worker.run(), name=f"device {intercom_id}")
            self._running[intercom_id] = _Running(worker, task, connection_fingerprint(intercom))

    async def _stop_workers(self, intercom_ids: list[int]) -> None:
        syncs = []
        for intercom_id in intercom_ids:
            for kind in (KEYS, SIP):
                self._synced.pop((kind, intercom_id), None)
                task = self._syncing.pop((kind, intercom_id), None)
                if task is not None:
                    task.cancel()
                    syncs.append(task)
        await asyncio.gather(*syncs, return_exceptions=True)
        stopping = [
            self._running.pop(intercom_id) for intercom_id in intercom_ids if intercom_id in self._running
        ]
        for running in stopping:
            running.task.cancel()
        for running in stopping:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await running.task
