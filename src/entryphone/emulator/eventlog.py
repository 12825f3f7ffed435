"""The device event log: a history of the last 10,000 events and subscription channels.

Each channel has its own queue, filled with new events that pass its filter and the privileges of
the account that subscribed. A pull answers at once when the queue holds events (at most 128 per
reply) and otherwise waits for the next event or the timeout. A channel that is not pulled for
`duration` seconds closes by itself; a pull in progress keeps it open and every pull extends it.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import deque
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from .clock import Clock, Timer, wait
from .errors import invalid

HISTORY_SIZE: Final = 10_000
CHANNEL_QUEUE_SIZE: Final = 10_000
PULL_BATCH: Final = 128
DEFAULT_DURATION: Final = 90
MAX_DURATION: Final = 3600

# Manual 5.24: the privilege an account needs to receive each event type (absent: none needed).
EVENT_PRIVILEGE: Final[dict[str, str]] = {
    "KeyPressed": "keypad:monitoring",
    "KeyReleased": "keypad:monitoring",
    "CodeEntered": "keypad:monitoring",
    "CardEntered": "uid:monitoring",
    "InputChanged": "io:monitoring",
    "OutputChanged": "io:monitoring",
    "SwitchStateChanged": "io:monitoring",
    "CallStateChanged": "call:monitoring",
    "RegistrationStateChanged": "call:monitoring",
}


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    utc_time: float
    up_time: float
    tz_shift: int
    name: str
    params: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "tzShift": self.tz_shift,
            "utcTime": int(self.utc_time),
            "upTime": int(self.up_time),
            "event": self.name,
            "params": self.params,
        }


@dataclass(slots=True, eq=False)
class Subscription:
    id: int
    filter: frozenset[str] | None
    duration: int
    privileges: frozenset[str] | None  # None: a service without authentication sees everything
    queue: deque[Event] = field(default_factory=lambda: deque(maxlen=CHANNEL_QUEUE_SIZE))
    waiters: list[asyncio.Future[None]] = field(default_factory=list)
    pulls: int = 0
    expiry: Timer | None = None
    closed: bool = False

    def accepts(self, event: Event) -> bool:
        if self.filter is not None and event.name not in self.filter:
            return False
        needed = EVENT_PRIVILEGE.get(event.name)
        return needed is None or self.privileges is None or needed in self.privileges

    def wake(self) -> None:
        for waiter in self.waiters:
            if not waiter.done():
                waiter.set_result(None)
        self.waiters.clear()


class EventLog:
    def __init__(self, clock: Clock, uptime: Callable[[], float], tz_shift: Callable[[], int]) -> None:
        self._clock = clock
        self._uptime = uptime
        self._tz_shift = tz_shift
        self._history: deque[Event] = deque(maxlen=HISTORY_SIZE)
        self._next_id = 1
        self._subscriptions: dict[int, Subscription] = {}
        self._listeners: list[Callable[[Event], None]] = []

    @property
    def last_id(self) -> int:
        return self._next_id - 1

    @property
    def subscriptions(self) -> Collection[Subscription]:
        return self._subscriptions.values()

    def add_listener(self, listener: Callable[[Event], None]) -> None:
        self._listeners.append(listener)

    def emit(self, name: str, params: dict[str, Any]) -> Event:
        event = Event(self._next_id, self._clock.time(), self._uptime(), self._tz_shift(), name, params)
        self._next_id += 1
        self._history.append(event)
        for subscription in self._subscriptions.values():
            if subscription.accepts(event):
                subscription.queue.append(event)
                subscription.wake()
        for listener in self._listeners:
            listener(event)
        return event

    def subscribe(
        self,
        include: str,
        filter: frozenset[str] | None,
        duration: int,
        privileges: frozenset[str] | None,
    ) -> Subscription:
        while (channel := secrets.randbits(32)) == 0 or channel in self._subscriptions:
            pass
        subscription = Subscription(channel, filter, duration, privileges)
        if include == "all":
            backlog: Iterable[Event] = self._history
        elif include == "new":
            backlog = ()
        else:
            since = self._clock.time() - int(include[1:])
            backlog = (e for e in self._history if e.utc_time >= since)
        subscription.queue.extend(e for e in backlog if subscription.accepts(e))
        self._subscriptions[channel] = subscription
        self._arm(subscription)
        return subscription

    def unsubscribe(self, channel: int) -> None:
        subscription = self._subscriptions.get(channel)
        if subscription is None:
            raise invalid("id")
        self._close(subscription)

    async def pull(self, channel: int, wait_for: float) -> list[Event]:
        subscription = self._subscriptions.get(channel)
        if subscription is None:
            raise invalid("id")
        subscription.pulls += 1
        if subscription.expiry is not None:
            subscription.expiry.cancel()
        loop = asyncio.get_running_loop()
        deadline = self._clock.monotonic() + wait_for
        try:
            while not subscription.queue and not subscription.closed:
                remaining = deadline - self._clock.monotonic()
                if remaining <= 0:
                    break
                waiter: asyncio.Future[None] = loop.create_future()
                subscription.waiters.append(waiter)
                await wait(self._clock, waiter, remaining)
        finally:
            subscription.pulls -= 1
            if not subscription.closed and subscription.pulls == 0:
                self._arm(subscription)
        if subscription.closed:
            raise invalid("id")
        count = min(PULL_BATCH, len(subscription.queue))
        return [subscription.queue.popleft() for _ in range(count)]

    def close(self) -> None:
        """The device is going down: every channel disappears and pending pulls return."""
        for subscription in list(self._subscriptions.values()):
            self._close(subscription)

    def _arm(self, subscription: Subscription) -> None:
        subscription.expiry = self._clock.call_later(subscription.duration, lambda: self._close(subscription))

    def _close(self, subscription: Subscription) -> None:
        subscription.closed = True
        if subscription.expiry is not None:
            subscription.expiry.cancel()
        self._subscriptions.pop(subscription.id, None)
        subscription.wake()
