"""Calls and their state machine, as CallStateChanged and /api/call/status show them.

outgoing: connecting -> ringing -> connected -> terminated
incoming: ringing -> connected -> terminated
A ringing call nobody answers ends with reason `noanswer` after the ring timeout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Protocol

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
    link: object | None = None  # the SIP session carrying the call, when the line is real
    extra: dict[str, Any] = field(default_factory=dict)  # sipAccount, sipCallId

    def status(self) -> dict[str, Any]:
        return {"session": self.session, "direction": self.direction, "state": self.state}


class Line(Protocol):
    """The phone line under the calls (emulator/sip/phone.py): real SIP sessions."""

    def dial(self, call: Call) -> bool: ...  # True: the network carries the call from now on

    def answer(self, call: Call) -> None: ...

    def ended(self, call: Call, reason: str) -> None: ...


class CallManager:
    def __init__(self, log: EventLog, clock: Clock, ring_delay: float, ring_timeout: float) -> None:
        self._log = log
        self._clock = clock
        self._ring_delay = ring_delay
        self.ring_timeout = ring_timeout
        self.line: Line | None = None
        self._calls: dict[int, Call] = {}
        self._next_session = 1

    def status(self, session: int | None) -> list[dict[str, Any]]:
        if session is None:
            return [c.status() for c in self._calls.values()]
        return [self._get(session).status()]

    def snapshot(self) -> list[dict[str, Any]]:
        return [{**c.status(), "peer": c.peer} for c in self._calls.values()]

    def dial(self, peer: str) -> int:
        call = self._new("outgoing", "connecting", peer, emit=False)
        try:
            placed = self.line is not None and self.line.dial(call)
        except ApiError:
            del self._calls[call.session]  # refused before it began: no call, no event, no number
            self._next_session -= 1
            raise
        if placed:
            self._emit(call)
            return call.session
        self._emit(call)
        call.timer = self._clock.call_later(self._ring_delay, lambda: self._ring(call))
        return call.session

    def progress(self, session: int, state: str) -> None:
        """The network moved a call on (ringing, connected)."""
        call = self._calls.get(session)
        if call is not None and call.state != state:
            self._set(call, state)

    def finish(self, session: int, reason: str) -> None:
        """The network ended a call."""
        call = self._calls.get(session)
        if call is not None:
            call.link = None
            self._end(call, reason)

    def incoming(self, peer: str, link: object | None = None, extra: dict[str, Any] | None = None) -> int:
        call = self._new("incoming", "ringing", peer, emit=False)
        call.link = link
        call.extra = extra or {}
        self._emit(call)
        self._arm_ring_timeout(call)
        return call.session

    def answer(self, session: int) -> None:
        """The panel answers an incoming call (API)."""
        call = self._get(session)
        if call.direction != "incoming" or call.state != "ringing":
            raise ApiError(PROCESSING)
        if call.link is not None and self.line is not None:
            self.line.answer(call)  # connected once the 200 OK is out
            return
        self._set(call, "connected")

    def remote_answer(self, session: int) -> None:
        """The far end picks up an outgoing call."""
        call = self._get(session)
        if call.direction != "outgoing" or call.state not in ("connecting", "ringing") or call.link:
            raise ApiError(PROCESSING)  # a SIP call is answered by the network only
        self._set(call, "connected")

    def hangup(self, session: int, reason: str) -> None:
        self._end(self._get(session), reason)

    def close(self) -> None:
        for call in list(self._calls.values()):
            self._cancel(call)
            if call.link is not None and self.line is not None:
                self.line.ended(call, "normal")
        self._calls.clear()

    def _new(self, direction: str, state: str, peer: str, emit: bool = True) -> Call:
        call = Call(self._next_session, direction, state, peer)
        self._next_session += 1
        self._calls[call.session] = call
        if emit:
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
        call.timer = self._clock.call_later(self.ring_timeout, lambda: self._end(call, "noanswer"))

    def _set(self, call: Call, state: str) -> None:
        self._cancel(call)
        call.state = state
        if state == "ringing":
            self._arm_ring_timeout(call)
        self._emit(call)

    def _end(self, call: Call, reason: str) -> None:
        self._cancel(call)
        if self._calls.pop(call.session, None) is None:
            return
        if call.link is not None and self.line is not None:
            self.line.ended(call, reason)  # CANCEL, reject or BYE on the network
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
        params.update(call.extra)
        self._log.emit("CallStateChanged", params)

    @staticmethod
    def _cancel(call: Call) -> None:
        if call.timer is not None:
            call.timer.cancel()
            call.timer = None
