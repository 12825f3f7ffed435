"""What lives in a panel's RAM between two restarts (a Boot), and the durations of its behaviour.

Event log, subscriptions, nonces, switch and call state, display content and pcap capture belong
to a Boot and are gone after a restart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .auth import Authenticator
from .calls import CallManager
from .camera import FrameBuffer
from .clock import Clock
from .config import DeviceConfig
from .eventlog import EventLog
from .firmware import FirmwareImage
from .pcap import PcapRecorder
from .ports import IoPorts
from .profile import Profile
from .switches import SwitchBank


@dataclass(slots=True)
class Timings:
    """Durations a test or demo may want shorter than on a real panel."""

    restart_downtime: float = 3.0
    nonce_lifetime: float = 300.0
    ring_delay: float = 0.5
    ring_timeout: float = 30.0
    audio_test_duration: float = 1.0
    smtp_timeout: float = 10.0
    # The manual: config upload and factory reset take effect "with a delay of approx. 15 s".
    config_delay: float = 15.0


@dataclass(slots=True)
class SipState:
    registered: bool = False
    register_time: int = 0
    state: str = "unregistered"  # registering, registered, unregistering, unregistered, refused


class SipPhone(Protocol):
    """The boot's SIP side (sip/phone.py): accounts with a server register for real."""

    def registers(self, account: int) -> bool: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def reconfigure(self) -> None: ...


@dataclass(slots=True)
class DisplayContent:
    kind: str  # image | video
    size: int
    width: int = 0
    height: int = 0
    duration_ms: int | None = None
    repeat: int | None = None


class Boot:
    """The panel between two restarts."""

    def __init__(
        self,
        config: Callable[[], DeviceConfig],
        profile: Profile,
        timings: Timings,
        realm: str,
        mac: str,
        clock: Clock,
        phone: Callable[[Boot], SipPhone],
    ) -> None:
        """`config` reads the device's configuration of the moment (an upload replaces it); `phone`
        makes the boot's SIP side once its calls exist (it becomes their line)."""
        self.clock = clock
        self.started = clock.monotonic()
        self.log = EventLog(clock, self.uptime, lambda: config().tz_shift)
        self.auth = Authenticator(realm, timings.nonce_lifetime, clock.monotonic)
        self.ports = IoPorts(self.log)
        self.switches = SwitchBank(config().switches, self.log, self.ports, profile.switch_locks, clock)
        self.calls = CallManager(self.log, clock, timings.ring_delay, timings.ring_timeout)
        self.phone = phone(self)
        self.sip = [SipState() for _ in config().sip]
        self.display: dict[str, DisplayContent] = {}
        self.pcap = PcapRecorder(server_mac=bytes.fromhex(mac.replace("-", "")))
        self.frames = FrameBuffer()
        self.pending_firmware: FirmwareImage | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    def uptime(self) -> float:
        return self.clock.monotonic() - self.started

    def spawn(self, coro: Any) -> None:
        """Background work of this boot (audio test...), cancelled by a restart."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def set_registration(self, account: int, registered: bool) -> bool:
        state = self.sip[account - 1]
        if state.registered == registered:
            return False
        state.registered = registered
        state.state = "registered" if registered else "unregistered"
        if registered:
            state.register_time = int(self.clock.time())
        self.log.emit(
            "RegistrationStateChanged",
            {"sipAccount": account, "state": "registered" if registered else "unregistered"},
        )
        return True

    def close(self) -> None:
        self.log.close()
        self.switches.close()
        self.calls.close()
        for task in self._tasks:
            task.cancel()
