"""One emulated panel: its identity, configuration, listeners, and the state of the current boot.

Everything that lives in the panel's RAM (event log, subscriptions, nonces, switch and call
state, display content, pcap capture) belongs to a Boot and is gone after a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from . import tls
from .auth import Authenticator
from .calls import CallManager
from .camera import FrameBuffer
from .config import DeviceConfig, config_from_dict, config_to_dict
from .directory import Directory
from .eventlog import EventLog
from .firmware import FirmwareImage
from .identity import Identity
from .pcap import PcapRecorder
from .ports import IoPorts
from .profile import Profile, get_profile
from .sip.phone import Phone
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


@dataclass(slots=True)
class SipState:
    registered: bool = False
    register_time: int = 0
    state: str = "unregistered"  # registering, registered, unregistering, unregistered, refused


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

    def __init__(self, device: EmulatedDevice) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        self.started = loop.time()
        self.log = EventLog(self.uptime, lambda: device.config.tz_shift)
        self.auth = Authenticator(device.realm, device.timings.nonce_lifetime)
        self.ports = IoPorts(self.log)
        self.switches = SwitchBank(device.config.switches, self.log, self.ports, device.profile.switch_locks)
        self.calls = CallManager(self.log, device.timings.ring_delay, device.timings.ring_timeout)
        self.phone = Phone(device, self)  # SIP accounts with a server register for real
        self.sip = [SipState() for _ in device.config.sip]
        self.display: dict[str, DisplayContent] = {}
        self.pcap = PcapRecorder(server_mac=bytes.fromhex(device.mac.replace("-", "")))
        self.frames = FrameBuffer()
        self.pending_firmware: FirmwareImage | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    def uptime(self) -> float:
        return self._loop.time() - self.started

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
            state.register_time = int(time.time())
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


@dataclass(slots=True)
class Listeners:
    http_port: int
    https_port: int | None
    servers: list[asyncio.AbstractServer] = field(default_factory=list)


class EmulatedDevice:
    def __init__(
        self,
        identity: Identity,
        profile: Profile | str = "2.21",
        config: DeviceConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        https_port: int | None = 0,
        timings: Timings | None = None,
        control_token: str | None = None,
        state_path: Path | None = None,
        realm: str = "HTTP API",
    ) -> None:
        self.identity = identity
        self.profile = get_profile(profile) if isinstance(profile, str) else profile
        self.sw_version = self.profile.sw_version
        self.config = config or DeviceConfig()
        self.directory = Directory()
        self.host = host
        self.timings = timings or Timings()
        self.control_token = control_token
        self.state_path = state_path
        self.realm = realm
        self._listeners = Listeners(port, https_port)
        self._tls: tuple[bytes, bytes] | None = None
        self._ssl: ssl.SSLContext | None = None
        self._server: web.Server | None = None
        self._boot: Boot | None = None
        self._rebooting: asyncio.Task[None] | None = None
        if state_path is not None and state_path.exists():
            self._load(state_path)

    # -- identity as clients see it --------------------------------------------------------

    @property
    def serial(self) -> str:
        return self.identity.serial

    @property
    def mac(self) -> str:
        return self.identity.mac

    @property
    def login(self) -> str:
        return self.config.accounts[0].username if self.config.accounts else ""

    @property
    def password(self) -> str:
        return self.config.accounts[0].password if self.config.accounts else ""

    @property
    def port(self) -> int:
        return self._listeners.http_port

    @property
    def https_port(self) -> int | None:
        return self._listeners.https_port

    @property
    def url(self) -> str:
        return f"http://{_url_host(self.host)}:{self.port}"

    @property
    def https_url(self) -> str | None:
        port = self._listeners.https_port
        return None if port is None else f"https://{_url_host(self.host)}:{port}"

    @property
    def control_url(self) -> str:
        return f"{self.url}/_emulator"

    @property
    def certificate_pem(self) -> bytes | None:
        return self._tls[0] if self._tls else None

    @property
    def server_header(self) -> str:
        return f"HIP{self.sw_version}"

    @property
    def boot(self) -> Boot:
        if self._boot is None:
            raise RuntimeError("the device is not running")
        return self._boot

    @property
    def running(self) -> bool:
        return self._boot is not None

    def describe(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "https_url": self.https_url,
            "login": self.login,
            "password": self.password,
            "serial": self.serial,
            "mac": self.mac,
            "profile": self.profile.name.value,
            "control_url": self.control_url,
        }

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        if self._listeners.https_port is not None and self._tls is None:
            self._tls = tls.generate(f"{self.identity.variant} {self.serial}", (self.host,))
        self.save()  # identity and certificate are kept from the first start on
        if self._tls is not None and self._ssl is None:
            self._ssl = tls.server_context(*self._tls)
        await self._bind()
        self._power_on()
        await self.boot.phone.start()

    async def stop(self) -> None:
        if self._rebooting is not None:
            self._rebooting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._rebooting
            self._rebooting = None
        await self._unbind()
        if self._boot is not None:
            await self._boot.phone.stop()  # hang up, unregister
            self._boot.close()
            self._boot = None

    def restart(self, before_power_on: Callable[[], None] | None = None) -> None:
        """Go away for restart_downtime seconds, then come back as after power-on."""
        if self._rebooting is not None and not self._rebooting.done():
            return
        self._rebooting = asyncio.ensure_future(self._reboot(before_power_on))

    async def wait_until_up(self) -> None:
        if self._rebooting is not None:
            await asyncio.shield(self._rebooting)

    async def _reboot(self, before_power_on: Callable[[], None] | None) -> None:
        await self._unbind()
        if self._boot is not None:
            await self._boot.phone.stop()  # hang up, unregister
            self._boot.close()
            self._boot = None
        if before_power_on is not None:
            before_power_on()
        await asyncio.sleep(self.timings.restart_downtime)
        await self._bind()
        self._power_on()
        await self.boot.phone.start()

    def _power_on(self) -> None:
        self._boot = Boot(self)
        # The manual: DeviceState startup is always the first event after a start.
        self._boot.log.emit("DeviceState", {"state": "startup"})
        for number, account in enumerate(self.config.sip, start=1):
            if account.enabled and account.number and not self._boot.phone.registers(number):
                self._boot.set_registration(number, True)  # scripted: no SIP server configured

    async def _bind(self) -> None:
        from .router import handle  # the router imports every service module

        loop = asyncio.get_running_loop()
        if self._server is None:
            self._server = web.Server(lambda request: handle(self, request), access_log=None)
        server = self._server
        listeners = self._listeners
        plain = await loop.create_server(
            server, self.host, listeners.http_port, reuse_address=True, backlog=128
        )
        listeners.http_port = plain.sockets[0].getsockname()[1]
        listeners.servers = [plain]
        if listeners.https_port is not None and self._ssl is not None:
            secure = await loop.create_server(
                server, self.host, listeners.https_port, ssl=self._ssl, reuse_address=True, backlog=128
            )
            listeners.https_port = secure.sockets[0].getsockname()[1]
            listeners.servers.append(secure)

    async def _unbind(self) -> None:
        for listener in self._listeners.servers:
            listener.close()
        self._listeners.servers = []
        if self._server is not None:
            # Connections refused, and those open (long-polls, streams) drop as on power loss.
            for connection in self._server.connections:
                connection.force_close()

    # -- configuration and persistence -------------------------------------------------------

    def apply_config(self, config: DeviceConfig) -> None:
        """A new configuration takes effect at once (config upload)."""
        sip_changed = (config.sip, config.ring_duration) != (self.config.sip, self.config.ring_duration)
        self.config = config
        if self._boot is not None:
            self._boot.switches.close()
            self._boot.switches = SwitchBank(
                config.switches, self._boot.log, self._boot.ports, self.profile.switch_locks
            )
            self._boot.sip = [
                self._boot.sip[i] if i < len(self._boot.sip) else SipState() for i in range(len(config.sip))
            ]
            if sip_changed:
                self._boot.spawn(self._boot.phone.reconfigure())  # register with the new SIP settings
        self.save()

    def factory_reset(self) -> None:
        def reset() -> None:
            self.config = DeviceConfig()
            self.directory.wipe()
            self.save()

        self.restart(reset)

    def save(self) -> None:
        if self.state_path is None:
            return
        document = {
            "serial": self.identity.serial,
            "mac": self.identity.mac,
            "profile": self.profile.name.value,
            "sw_version": self.sw_version,
            "config": config_to_dict(self.config),
            "directory": self.directory.to_dict(),
            "tls": None
            if self._tls is None
            else {"cert": self._tls[0].decode(), "key": self._tls[1].decode()},
        }
        temporary = self.state_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(document, indent=1))
        os.replace(temporary, self.state_path)

    def _load(self, path: Path) -> None:
        document = json.loads(path.read_text())
        self.identity = Identity(serial=document["serial"], mac=document["mac"])
        self.profile = get_profile(document["profile"])
        self.sw_version = document["sw_version"]
        self.config = config_from_dict(document["config"])
        self.directory = Directory.from_dict(document["directory"])
        if document.get("tls"):
            self._tls = (document["tls"]["cert"].encode(), document["tls"]["key"].encode())


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
