"""The four switches (door locks): monostable with a fall-back timer, or bistable.

A 2.4x profile adds locking (deactivated and inoperable) and holding (activated and inoperable).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .clock import Clock, Timer
from .config import SwitchConfig
from .errors import PROCESSING, ApiError, invalid
from .eventlog import EventLog
from .ports import IoPorts


@dataclass(slots=True)
class _State:
    active: bool = False
    locked: bool = False
    held: bool = False
    timer: Timer | None = None
    hold_timer: Timer | None = None

    @property
    def effective(self) -> bool:
        return not self.locked and (self.held or self.active)


class SwitchBank:
    def __init__(
        self, configs: list[SwitchConfig], log: EventLog, ports: IoPorts, locks: bool, clock: Clock
    ) -> None:
        self._clock = clock
        self._configs = configs
        self._log = log
        self._ports = ports
        self._locks = locks
        self._states = [_State() for _ in configs]

    def _numbers(self, switch: int | None) -> list[int]:
        if switch is None:
            return list(range(1, len(self._configs) + 1))
        if not 1 <= switch <= len(self._configs):
            raise invalid("switch")
        return [switch]

    def caps(self, switch: int | None) -> list[dict[str, Any]]:
        out = []
        for n in self._numbers(switch):
            config = self._configs[n - 1]
            if not config.enabled:
                # Disabled switches report nothing but their number (manual 5.8 example).
                out.append({"switch": n, "enabled": False})
                continue
            item: dict[str, Any] = {"switch": n, "enabled": True, "mode": config.mode}
            if config.mode == "monostable":
                item["switchOnDuration"] = config.duration
            item["type"] = config.type
            out.append(item)
        return out

    def status(self, switch: int | None) -> list[dict[str, Any]]:
        out = []
        for n in self._numbers(switch):
            state = self._states[n - 1]
            item: dict[str, Any] = {"switch": n, "active": state.effective}
            if self._locks:
                item["locked"] = state.locked
                item["held"] = state.held
            out.append(item)
        return out

    def states(self) -> list[dict[str, Any]]:
        return [
            {"switch": n, "active": s.effective, "locked": s.locked, "held": s.held}
            for n, s in enumerate(self._states, start=1)
        ]

    def actions(self) -> tuple[str, ...]:
        base = ("on", "off", "trigger")
        return (*base, "lock", "unlock", "hold", "release") if self._locks else base

    def control(self, switch: int, action: str, hold_timeout: int | None = None) -> None:
        n = self._numbers(switch)[0]
        config, state = self._configs[n - 1], self._states[n - 1]
        if not config.enabled:
            raise invalid("switch")
        before = state.effective
        if action in ("lock", "unlock"):
            state.locked = action == "lock"
        elif action == "hold":
            state.held = True
            self._cancel(state, "hold_timer")
            if hold_timeout:
                state.hold_timer = self._clock.call_later(hold_timeout, lambda: self._release(n))
        elif action == "release":
            state.held = False
            self._cancel(state, "hold_timer")
        else:
            if state.locked or state.held:
                raise ApiError(PROCESSING)  # an inoperable switch cannot be driven
            on = not state.active if (action == "trigger" and config.mode == "bistable") else action != "off"
            self._cancel(state, "timer")
            state.active = on
            if on and config.mode == "monostable":
                state.timer = self._clock.call_later(config.duration, lambda: self._fall_back(n))
        self._notify(n, before)

    def activate(self, switch: int) -> bool:
        """An access (valid card, code, grantaccess) fires the switch as a trigger would."""
        if not 1 <= switch <= len(self._configs) or not self._configs[switch - 1].enabled:
            return False
        state = self._states[switch - 1]
        if state.locked or state.held:
            return False
        self.control(switch, "trigger" if self._configs[switch - 1].mode == "monostable" else "on")
        return True

    def close(self) -> None:
        for state in self._states:
            self._cancel(state, "timer")
            self._cancel(state, "hold_timer")

    def _fall_back(self, n: int) -> None:
        state = self._states[n - 1]
        before = state.effective
        state.active, state.timer = False, None
        self._notify(n, before)

    def _release(self, n: int) -> None:
        state = self._states[n - 1]
        before = state.effective
        state.held, state.hold_timer = False, None
        self._notify(n, before)

    def _notify(self, n: int, before: bool) -> None:
        after = self._states[n - 1].effective
        if after == before:
            return
        self._log.emit("SwitchStateChanged", {"switch": n, "state": after})
        if self._configs[n - 1].output:
            self._ports.set_output(self._configs[n - 1].output, after)

    @staticmethod
    def _cancel(state: _State, attr: str) -> None:
        timer: Timer | None = getattr(state, attr)
        if timer is not None:
            timer.cancel()
            setattr(state, attr, None)
