"""HeliosClient: the typed 2N HTTP API of one device, grouped like the manual's chapters."""

from __future__ import annotations

import aiohttp

from entryphone.helios.api.accesspoint import AccessPointApi
from entryphone.helios.api.audio import AudioApi
from entryphone.helios.api.call import CallApi
from entryphone.helios.api.camera import CameraApi
from entryphone.helios.api.config import ConfigApi
from entryphone.helios.api.directory import DirectoryApi
from entryphone.helios.api.display import DisplayApi
from entryphone.helios.api.email import EmailApi
from entryphone.helios.api.firmware import FirmwareApi
from entryphone.helios.api.io import IoApi
from entryphone.helios.api.log import LogApi
from entryphone.helios.api.pcap import PcapApi
from entryphone.helios.api.phone import PhoneApi
from entryphone.helios.api.switch import SwitchApi
from entryphone.helios.api.system import SystemApi
from entryphone.helios.auth import Credentials
from entryphone.helios.tls import TlsPolicy
from entryphone.helios.transport import HeliosTransport


class HeliosClient:
    """One device. Cheap to create; all clients share the caller's aiohttp session (the pool).

    `timeout` (seconds) bounds every call; log pulls add their long-poll time, streams apply it to
    the start and to each read. Device errors raise HeliosApiError subclasses, transport problems
    HeliosConnectionError/HeliosTimeout, unresolved 401s HeliosAuthError.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        host: str,
        *,
        port: int | None = None,
        https: bool = False,
        credentials: Credentials | None = None,
        tls: TlsPolicy | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.transport = HeliosTransport(
            session, host, port=port, https=https, credentials=credentials, tls=tls, timeout=timeout
        )
        t = self.transport
        self.system = SystemApi(t)
        self.firmware = FirmwareApi(t)
        self.config = ConfigApi(t)
        self.switch = SwitchApi(t)
        self.io = IoApi(t)
        self.phone = PhoneApi(t)
        self.call = CallApi(t)
        self.camera = CameraApi(t)
        self.display = DisplayApi(t)
        self.log = LogApi(t)
        self.audio = AudioApi(t)
        self.email = EmailApi(t)
        self.pcap = PcapApi(t)
        self.dir = DirectoryApi(t)
        self.accesspoint = AccessPointApi(t)

    def __repr__(self) -> str:
        return f"HeliosClient({self.transport.base_url})"
