"""Logic inputs and outputs (I/O API): relays the panel drives and inputs the world changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from .errors import invalid
from .eventlog import EventLog

# The ports of the emulated Verso, in io/caps order.
PORTS: Final = (("relay1", "output"), ("relay2", "output"), ("input1", "input"), ("input2", "input"))


@dataclass(slots=True)
class Port:
    name: str
    type: str
    state: bool = False


class IoPorts:
    def __init__(self, log: EventLog) -> None:
        self._log = log
        self._ports = {name: Port(name, kind) for name, kind in PORTS}

    def _select(self, name: str | None) -> list[Port]:
        if name is None:
            return list(self._ports.values())
        port = self._ports.get(name)
        if port is None:
            raise invalid("port")
        return [port]

    def caps(self, name: str | None) -> list[dict[str, Any]]:
        return [{"port": p.name, "type": p.type} for p in self._select(name)]

    def status(self, name: str | None) -> list[dict[str, Any]]:
        return [{"port": p.name, "state": int(p.state)} for p in self._select(name)]

    def states(self) -> dict[str, bool]:
        return {p.name: p.state for p in self._ports.values()}

    def control(self, name: str, on: bool) -> None:
        port = self._select(name)[0]
        if port.type != "output":
            raise invalid("port")
        self._set(port, on)

    def set_output(self, name: str, on: bool) -> None:
        """A switch drives its relay."""
        port = self._ports.get(name)
        if port is not None and port.type == "output":
            self._set(port, on)

    def set_input(self, name: str, on: bool) -> bool:
        """The world changes an input; False when there is no such input."""
        port = self._ports.get(name)
        if port is None or port.type != "input":
            return False
        self._set(port, on)
        return True

    def _set(self, port: Port, on: bool) -> None:
        if port.state == on:
            return
        port.state = on
        event = "OutputChanged" if port.type == "output" else "InputChanged"
        self._log.emit(event, {"port": port.name, "state": on})
