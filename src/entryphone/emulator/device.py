"""One emulated panel: its identity, configuration, listeners, and the state of the current boot.

Everything that lives in the panel's RAM belongs to a Boot (`boot.py`) and is gone after a
restart. The device does not know its API: the composition root (`compose.py`) hands it the
request handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from . import clock as clocks
from . import tls
from .boot import Boot, SipState, Timings
from .clock import Clock, LoopClock
from .config import DeviceConfig, config_from_dict, config_to_dict
from .directory import Directory
from .envelope import failure
from .errors import PROCESSING, ApiError
from .identity import Identity, identity_for_port
from .profile import Profile, get_profile
from .sip.phone import Phone
from .switches import SwitchBank

# The panel's answer to one request of its listeners (router.handle, given by compose.py).
RequestHandler = Callable[["EmulatedDevice", web.BaseRequest], Awaitable[web.StreamResponse]]


class _PanelServer(web.Server):
    """aiohttp's server, except that a request its parser refuses (no `Host` in HTTP/1.1, a
    malformed header) is answered as the panel answers: its JSON envelope and `Server` header,
    not aiohttp's plain text under aiohttp's name."""

    def __init__(
        self,
        handler: Callable[[web.BaseRequest], Awaitable[web.StreamResponse]],
        server_header: Callable[[], str],
    ) -> None:
        super().__init__(handler, access_log=None)
        self._server_header = server_header

    def __call__(self) -> web.RequestHandler:
        return _PanelRequestHandler(self, self._server_header)


class _PanelRequestHandler(web.RequestHandler):
    def __init__(self, manager: _PanelServer, server_header: Callable[[], str]) -> None:
        # access_log None turns the access log off (web.Server passes it the same way).
        super().__init__(manager, loop=asyncio.get_running_loop(), access_log=None)  # type: ignore[arg-type]
        self._server_header = server_header

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status >= 500:
            self.log_exception("Error handling request", exc_info=exc)  # our fault, not the client's
        if request.writer.output_size > 0:
            raise ConnectionError("a reply was already sent; the connection is broken")
        response = failure(ApiError(PROCESSING), status=status)
        response.headers["Server"] = self._server_header()
        response.force_close()
        return response


@dataclass(slots=True)
class Listeners:
    http_port: int
    https_port: int | None
    servers: list[asyncio.AbstractServer] = field(default_factory=list)


class EmulatedDevice:
    def __init__(
        self,
        identity: Identity | None,
        profile: Profile | str = "2.21",
        config: DeviceConfig | None = None,
        *,
        handler: RequestHandler,
        host: str = "127.0.0.1",
        port: int = 0,
        https_port: int | None = 0,
        timings: Timings | None = None,
        control_token: str | None = None,
        state_path: Path | None = None,
        realm: str = "HTTP API",
        clock: Clock | None = None,
    ) -> None:
        self.clock: Clock = clock or LoopClock()
        self._identity = identity  # None: derived from the HTTP port when it first listens
        self.profile = get_profile(profile) if isinstance(profile, str) else profile
        self.sw_version = self.profile.sw_version
        self.config = config or DeviceConfig()
        self.directory = Directory()
        self.host = host
        self.timings = timings or Timings()
        self.control_token = control_token
        self.state_path = state_path
        self.realm = realm
        self._handler = handler
        self._listeners = Listeners(port, https_port)
        self._tls: tuple[bytes, bytes] | None = None
        self._ssl: ssl.SSLContext | None = None
        self._server: web.Server | None = None
        self._boot: Boot | None = None
        self._rebooting: asyncio.Task[None] | None = None
        self._pending_change: asyncio.Task[None] | None = None
        if state_path is not None and state_path.exists():
            self._load(state_path)

    # -- identity as clients see it --------------------------------------------------------

    @property
    def identity(self) -> Identity:
        if self._identity is None:
            raise RuntimeError("the identity comes from the HTTP port: start the device first")
        return self._identity

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
        await self._bind()
        self.save()  # identity and certificate are kept from the first start on
        self._power_on()
        await self.boot.phone.start()

    async def stop(self) -> None:
        self._cancel_pending_change()
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
        """Until a pending config change has taken effect and the panel is back from any restart."""
        if self._pending_change is not None:
            await asyncio.wait((self._pending_change,))  # done or cancelled (a restart lost it)
        if self._rebooting is not None:
            await asyncio.shield(self._rebooting)

    async def _reboot(self, before_power_on: Callable[[], None] | None) -> None:
        self._cancel_pending_change()  # power lost within the interval: the change is lost
        await self._unbind()
        if self._boot is not None:
            await self._boot.phone.stop()  # hang up, unregister
            self._boot.close()
            self._boot = None
        if before_power_on is not None:
            before_power_on()
        await clocks.sleep(self.clock, self.timings.restart_downtime)
        await self._bind()
        self._power_on()
        await self.boot.phone.start()

    def _power_on(self) -> None:
        self._boot = Boot(
            lambda: self.config,
            self.profile,
            self.timings,
            self.realm,
            self.mac,
            self.clock,
            phone=lambda boot: Phone(self, boot),  # SIP accounts with a server register for real
        )
        # The manual: DeviceState startup is always the first event after a start.
        self._boot.log.emit("DeviceState", {"state": "startup"})
        for number, account in enumerate(self.config.sip, start=1):
            if account.enabled and account.number and not self._boot.phone.registers(number):
                self._boot.set_registration(number, True)  # scripted: no SIP server configured

    async def _bind(self) -> None:
        loop = asyncio.get_running_loop()
        if self._server is None:
            handler = self._handler
            self._server = _PanelServer(lambda request: handler(self, request), lambda: self.server_header)
        server = self._server
        listeners = self._listeners
        plain = await loop.create_server(
            server, self.host, listeners.http_port, reuse_address=True, backlog=128
        )
        listeners.http_port = plain.sockets[0].getsockname()[1]
        listeners.servers = [plain]
        if self._identity is None:
            self._identity = identity_for_port(listeners.http_port)
        if listeners.https_port is not None:
            if self._tls is None:  # the certificate names the serial number, known from here on
                self._tls = tls.generate(f"{self.identity.variant} {self.serial}", (self.host,))
            if self._ssl is None:
                self._ssl = tls.server_context(*self._tls)
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

    def apply_config(self, config: DeviceConfig, directory: Directory | None = None) -> None:
        """Config upload: the new configuration (and directory, when the file has one) takes effect
        after `timings.config_delay`, without a restart."""

        def apply() -> None:
            if directory is not None:
                self.directory = directory
            self._replace_config(config)

        self._after_delay(apply)

    def factory_reset(self) -> None:
        """After `timings.config_delay`, restart with the factory configuration and an empty directory."""

        def reset() -> None:
            self.config = DeviceConfig()
            self.directory.wipe()
            self.save()

        self._after_delay(lambda: self.restart(reset))

    def _after_delay(self, change: Callable[[], None]) -> None:
        """The manual's "with a delay of approx. 15 s"; a later change replaces a pending one."""
        self._cancel_pending_change()

        async def later() -> None:
            await clocks.sleep(self.clock, self.timings.config_delay)
            change()

        self._pending_change = asyncio.ensure_future(later())

    def _cancel_pending_change(self) -> None:
        if self._pending_change is not None and not self._pending_change.done():
            self._pending_change.cancel()
        self._pending_change = None

    def _replace_config(self, config: DeviceConfig) -> None:
        sip_changed = (config.sip, config.ring_duration) != (self.config.sip, self.config.ring_duration)
        self.config = config
        if self._boot is not None:
            self._boot.switches.close()
            self._boot.switches = SwitchBank(
                config.switches, self._boot.log, self._boot.ports, self.profile.switch_locks, self.clock
            )
            self._boot.sip = [
                self._boot.sip[i] if i < len(self._boot.sip) else SipState() for i in range(len(config.sip))
            ]
            if sip_changed:
                self._boot.spawn(self._boot.phone.reconfigure())  # register with the new SIP settings
        self.save()

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
        self._identity = Identity(serial=document["serial"], mac=document["mac"])
        self.profile = get_profile(document["profile"])
        self.sw_version = document["sw_version"]
        self.config = config_from_dict(document["config"])
        self.directory = Directory.from_dict(document["directory"])
        if document.get("tls"):
            self._tls = (document["tls"]["cert"].encode(), document["tls"]["key"].encode())


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
