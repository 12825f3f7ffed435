"""Calls and their state machine, as CallStateChanged and /api/call/status show them.

outgoing: connecting -> ringing -> connected -> terminated
incoming: ringing -> connected -> terminated
A ringing call nobody answers ends with reason `noanswer` after the ring timeout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from .clock import Clock, Timer
from .errors import PROCESSING, ApiError
from .eventlog import EventLog

HANGUP_REASONS: Final = ("normal", "rejected", "busy")
END_REASONS: Final = (*HANGUP_REASONS, "noanswer", "noresponse", "completed_elsewhere", "failure")


@dataclass(slots=True)
class Call:
    session: int
    direction: str
    state: str
    peer: str
    timer: Timer | None = None

    def status(self) -> dict[str, Any]:
        return {"session": self.session, "direction": self.direction, "state": self.state}


class CallManager:
    def __init__(self, log: EventLog, clock: Clock, ring_delay: float, ring_timeout: float) -> None:
        self._log = log
        self._clock = clock
        self._ring_delay = ring_delay
        self._ring_timeout = ring_timeout
        self._calls: dict[int, Call] = {}
        self._next_session = 1

    def status(self, session: int | None) -> list[dict[str, Any]]:
        if session is None:
            return [c.status() for c in self._calls.values()]
        return [self._get(session).status()]

    def snapshot(self) -> list[dict[str, Any]]:
        return [{**c.status(), "peer": c.peer} for c in self._calls.values()]

    def dial(self, peer: str) -> int:
        call = self._new("outgoing", "connecting", peer)
        call.timer = self._clock.call_later(self._ring_delay, lambda: self._ring(call))
        return call.session

    def incoming(self, peer: str) -> int:
        call = self._new("incoming", "ringing", peer)
        self._arm_ring_timeout(call)
        return call.session

    def answer(self, session: int) -> None:
        """The panel answers an incoming call (API)."""
        call = self._get(session)
        if call.direction != "incoming" or call.state != "ringing":
            raise ApiError(PROCESSING)
        self._set(call, "connected")

    def remote_answer(self, session: int) -> None:
        """The far end picks up an outgoing call."""
        call = self._get(session)
        if call.direction != "outgoing" or call.state not in ("connecting", "ringing"):
            raise ApiError(PROCESSING)
        self._set(call, "connected")

    def hangup(self, session: int, reason: str) -> None:
        self._end(self._get(session), reason)

    def close(self) -> None:
        for call in list(self._calls.values()):
            self._cancel(call)
        self._calls.clear()

    def _new(self, direction: str, state: str, peer: str) -> Call:
        call = Call(self._next_session, direction, state, peer)
        self._next_session += 1
        self._calls[call.session] = call
        self._emit(call)
        return call

    def _get(self, session: int) -> Call:
        call = self._calls.get(session)
        if call is None:
            raise ApiError(PROCESSING)  # field-observed: "session not found" is code 14
        return call

    def _ring(self, call: Call) -> None:
        call.timer = None
        self._set(call, "ringing")

    def _arm_ring_timeout(self, call: Call) -> None:
        call.timer = self._clock.call_later(self._ring_timeout, lambda: self._end(call, "noanswer"))

    def _set(self, call: Call, state: str) -> None:
        self._cancel(call)
        call.state = state
        if state == "ringing":
            self._arm_ring_timeout(call)
        self._emit(call)

    def _end(self, call: Call, reason: str) -> None:
        self._cancel(call)
        self._calls.pop(call.session, None)
        call.state = "terminated"
        self._emit(call, reason)

    def _emit(self, call: Call, reason: str | None = None) -> None:
        params: dict[str, Any] = {
            "direction": call.direction,
            "state": call.state,
            "peer": call.peer,
            "session": call.session,
            "call": call.session,
        }
        if reason is not None:
            params["reason"] = reason
        self._log.emit("CallStateChanged", params)

    @staticmethod
    def _cancel(call: Call) -> None:
        if call.timer is not None:
            call.timer.cancel()
            call.timer = None
