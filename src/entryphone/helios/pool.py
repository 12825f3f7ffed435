"""HeliosPool: the one aiohttp session (connection pool) a fleet of HeliosClients shares."""

from __future__ import annotations

from types import TracebackType

import aiohttp

from entryphone.helios.auth import Credentials
from entryphone.helios.client import HeliosClient
from entryphone.helios.tls import TlsPolicy


class HeliosPool:
    """Owns a ClientSession tuned for many devices; or wraps one the caller already has.

    Every device keeps a few idle keep-alive connections (a long-poll plus commands), so the
    per-host limit is small and the total limit is what bounds sockets on a large fleet.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession | None = None,
        *,
        limit: int = 2000,
        limit_per_host: int = 8,
    ) -> None:
        self._owned = session is None
        self._limit = limit
        self._limit_per_host = limit_per_host
        self._session = session

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            # Created lazily: a ClientSession must be created inside the running event loop.
            connector = aiohttp.TCPConnector(limit=self._limit, limit_per_host=self._limit_per_host)
            self._session = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())
        return self._session

    def client(
        self,
        host: str,
        *,
        port: int | None = None,
        https: bool = False,
        credentials: Credentials | None = None,
        tls: TlsPolicy | None = None,
        timeout: float = 10.0,
    ) -> HeliosClient:
        return HeliosClient(
            self.session, host, port=port, https=https, credentials=credentials, tls=tls, timeout=timeout
        )

    async def close(self) -> None:
        if self._owned and self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> HeliosPool:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
