"""The journal writer: one task stores the pulls of every panel of a supervisor, many panels per
transaction (group commit).

A worker hands over what it pulled and waits; the writer takes everything queued (up to
MAX_EVENTS), stores it in one transaction and only then answers each worker, which pulls again only
after that. Nothing is acknowledged before it is committed, so the guarantee of the journal is the
one of a transaction per pull: what is not committed is still on the panel and caught up after a
restart. A thousand quiet panels cost a few transactions per second instead of one each per event,
use one pooled connection instead of competing for the pool, and on SQLite do not fight for the
write lock.

A failed batch is retried panel by panel, so one panel whose events cannot be stored (a deleted
intercom, a bad record) fails alone; its worker retries with its events in hand. Should the writer's
task itself end (a bug, an error outside any batch), every waiting worker gets `WriterStopped`
instead of waiting for ever, and the next `store` starts a new task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from entryphone.context import AppContext
from entryphone.devices.models import DeviceEvent
from entryphone.fleet import journal
from entryphone.fleet.journal import Effect, EffectContext, StoredEvent

log = logging.getLogger(__name__)

# Events per transaction: a backlog is stored in pages of this size, so one commit never holds the
# writer (and every waiting panel) for long.
MAX_EVENTS = 500
# How long the writer waits after the first pull of a batch for others to join it: a few
# milliseconds of latency buy far fewer transactions (each costs round trips) when many panels
# report at once.
LINGER_SECONDS = 0.01


class WriterStopped(RuntimeError):
    """The writer's task ended before this pull was stored: nothing of it was acknowledged."""


@dataclass(frozen=True, slots=True)
class _Pending:
    intercom_id: int
    events: Sequence[DeviceEvent]
    done: asyncio.Future[list[StoredEvent]]


class JournalWriter:
    def __init__(
        self,
        context: AppContext,
        effects: Sequence[Effect],
        max_events: int = MAX_EVENTS,
        linger: float = LINGER_SECONDS,
    ) -> None:
        self.context = context
        self.effects = list(effects)
        self.max_events = max_events
        self.linger = linger
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._taken: list[_Pending] = []  # out of the queue, not yet answered
        self.transactions = 0

    async def store(self, intercom_id: int, events: Sequence[DeviceEvent]) -> list[StoredEvent]:
        """Store `events` of one intercom; returns those that were new once they are committed.
        Raises what storing them alone raised, so the caller can retry with the events in hand."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="journal writer")
            self._task.add_done_callback(self._ended)
        done: asyncio.Future[list[StoredEvent]] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(intercom_id, events, done))
        return await done

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        while not self._queue.empty():
            self._queue.get_nowait().done.cancel()

    def _ended(self, task: asyncio.Task[None]) -> None:
        """Whatever the task was holding or had queued is answered: cancelled with it, or failed."""
        error: BaseException | None = None
        if not task.cancelled():
            error = task.exception()
            if error is not None:
                log.error("the journal writer stopped", exc_info=error)
        if task is self._task:
            self._task = None
        waiting = self._taken
        self._taken = []
        while not self._queue.empty():
            waiting.append(self._queue.get_nowait())
        for pending in waiting:
            if pending.done.done():
                continue
            if error is None:
                pending.done.cancel()
            else:
                stopped = WriterStopped(f"the journal writer stopped: {type(error).__name__}: {error}")
                pending.done.set_exception(stopped)

    async def _run(self) -> None:
        held: list[_Pending] = []  # a second pull of a panel already in the batch: the next batch
        while True:
            queued = held or [await self._queue.get()]
            self._taken = queued
            held = []
            if sum(len(pending.events) for pending in queued) < self.max_events and self.linger > 0:
                await asyncio.sleep(self.linger)
            while not self._queue.empty():
                queued.append(self._queue.get_nowait())
            batch: list[_Pending] = []
            panels: set[int] = set()
            count = 0
            for pending in queued:
                if pending.done.done():
                    # A worker stopped while waiting no longer needs its events stored: they are
                    # still on the panel for whoever watches it next.
                    continue
                if pending.intercom_id in panels or (batch and count >= self.max_events):
                    held.append(pending)
                    continue
                batch.append(pending)
                panels.add(pending.intercom_id)
                count += len(pending.events)
            self._taken = batch + held
            if not batch:
                continue
            await self._write(batch)

    async def _write(self, batch: list[_Pending]) -> None:
        try:
            stored = await self._transaction(batch)
        except Exception as exc:
            if len(batch) == 1:
                _answer(batch[0], exc)
                return
            log.warning(
                "storing the events of %d panels together failed (%s); storing them one by one",
                len(batch),
                exc,
            )
            for pending in batch:
                try:
                    alone = await self._transaction([pending])
                except Exception as alone_exc:
                    _answer(pending, alone_exc)
                else:
                    _answer(pending, alone.get(pending.intercom_id, []))
            return
        for pending in batch:
            _answer(pending, stored.get(pending.intercom_id, []))

    async def _transaction(self, batch: list[_Pending]) -> dict[int, list[StoredEvent]]:
        ids = frozenset(pending.intercom_id for pending in batch)
        effect_context = EffectContext(services=self.context.services, intercom_ids=ids)
        async with self.context.sessions() as session, session.begin():
            stored = await journal.store(
                session,
                [(pending.intercom_id, pending.events) for pending in batch],
                self.effects,
                effect_context,
            )
        self.transactions += 1
        return stored


def _answer(pending: _Pending, outcome: list[StoredEvent] | Exception) -> None:
    if pending.done.done():
        return
    if isinstance(outcome, Exception):
        pending.done.set_exception(outcome)
    else:
        pending.done.set_result(outcome)
