"""One device's HTTP channel: URL building, authentication rounds, timeouts, reply decoding.

Every request of the client goes through `HeliosTransport`, so error mapping (aiohttp exceptions
-> Helios errors), the 401 handling and the "JSON error where binary was expected" check live in
one place. The aiohttp session is shared by the whole fleet and owned by the caller.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from yarl import URL

from entryphone.helios.auth import Credentials, DeviceAuth, parse_challenges
from entryphone.helios.envelope import JsonObject, decode_envelope
from entryphone.helios.errors import (
    HeliosApiError,
    HeliosAuthError,
    HeliosConnectionError,
    HeliosProtocolError,
    HeliosTimeout,
    HeliosTLSError,
)
from entryphone.helios.tls import TlsPolicy

ParamValue = str | int | float | bool | None
Params = Mapping[str, ParamValue]

# The first request to a service, then one with the scheme its challenge asked for (Digest's own
# challenge and stale-nonce rounds happen inside aiohttp's middleware): more would be a loop.
_MAX_AUTH_ROUNDS = 2

# The first path segment names the function group; 2N assigns groups to services (manual ch. 5).
_SERVICE_OF_GROUP = {
    "firmware": "system",
    "config": "system",
    "pcap": "system",
    "dir": "system",
    "call": "phone",
    "lift": "accesspoint",
}


def service_of(path: str) -> str:
    group = path.removeprefix("/api/").split("/", 1)[0]
    return _SERVICE_OF_GROUP.get(group, group)


@dataclass(frozen=True, slots=True)
class BinaryReply:
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Upload:
    """A multipart upload: `blob-*` parameters are accepted only this way (manual 2.2)."""

    field: str
    data: bytes
    filename: str
    content_type: str = "application/octet-stream"


class _Body:
    """A request body that can be rebuilt for every authentication round."""

    def __init__(self, build: Callable[[], tuple[Any, dict[str, str]]]) -> None:
        self.build = build

    @classmethod
    def json(cls, payload: Any) -> _Body:
        raw = json.dumps(payload).encode()
        return cls(lambda: (raw, {"Content-Type": "application/json"}))

    @classmethod
    def upload(cls, upload: Upload) -> _Body:
        def build() -> tuple[Any, dict[str, str]]:
            form = aiohttp.FormData()
            form.add_field(
                upload.field, upload.data, filename=upload.filename, content_type=upload.content_type
            )
            return form, {}

        return cls(build)


@contextmanager
def transport_errors(timeout: float | None) -> Iterator[None]:
    """Translate aiohttp/asyncio failures into Helios transport errors."""
    try:
        yield
    except TimeoutError:
        raise HeliosTimeout(f"no reply within {timeout} s") from None
    except aiohttp.ServerFingerprintMismatch:
        raise HeliosTLSError("the certificate does not match the pinned SHA-256 fingerprint") from None
    except (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError) as exc:
        raise HeliosTLSError(f"TLS handshake failed: {exc}") from None
    except aiohttp.ClientError as exc:
        raise HeliosConnectionError(f"{type(exc).__name__}: {exc}") from None


class HeliosTransport:
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
        self._session = session
        self._base = URL.build(scheme="https" if https else "http", host=host, port=port)
        self._auth = DeviceAuth(credentials)
        self._ssl = (tls or TlsPolicy()).aiohttp_ssl() if https else True
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"HeliosTransport({self._base}, auth={self._auth!r})"

    @property
    def base_url(self) -> URL:
        return self._base

    async def json(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json_body: Any = None,
        upload: Upload | None = None,
        call_timeout: float | None = None,
    ) -> JsonObject | None:
        """Call a JSON function; returns `result` (None if the reply has none)."""
        body = _Body.json(json_body) if json_body is not None else _Body.upload(upload) if upload else None
        total = call_timeout if call_timeout is not None else self.timeout
        with transport_errors(total):
            async with asyncio.timeout(total):
                response = await self._send(method, path, params, body)
                try:
                    data = await response.read()
                finally:
                    response.release()
        if response.content_type != "application/json":
            self._reject_status(response.status)
            raise HeliosProtocolError(f"expected application/json, got {response.content_type!r}")
        result = decode_envelope(data)
        self._reject_status(response.status)
        return result

    async def binary(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        accept: tuple[str, ...] = (),
        call_timeout: float | None = None,
    ) -> BinaryReply:
        """Download a binary reply (JPEG, XML, pcap). `accept` lists the acceptable media types."""
        total = call_timeout if call_timeout is not None else self.timeout
        with transport_errors(total):
            async with asyncio.timeout(total):
                response = await self._send(method, path, params, None)
                try:
                    data = await response.read()
                finally:
                    response.release()
        self._check_binary(response, data, accept)
        return BinaryReply(response.headers.get("Content-Type", response.content_type), data)

    @asynccontextmanager
    async def stream(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        accept: tuple[str, ...] = (),
        read_timeout: float | None = None,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """An open streaming reply; `read_timeout` bounds the start and each read, not the whole stream."""
        limit = read_timeout if read_timeout is not None else self.timeout
        with transport_errors(limit):
            async with asyncio.timeout(limit):
                response = await self._send(method, path, params, None, read_timeout=limit)
        try:
            data = b""
            if response.content_type == "application/json" or response.status != 200:
                # An error reply is short: read it whole so the device's error can be raised.
                with transport_errors(limit):
                    async with asyncio.timeout(limit):
                        data = await response.read()
            self._check_binary(response, data, accept)
            yield response
        finally:
            response.close()

    async def _send(
        self,
        method: str,
        path: str,
        params: Params | None,
        body: _Body | None,
        read_timeout: float | None = None,
    ) -> aiohttp.ClientResponse:
        query = {key: _param(value) for key, value in (params or {}).items() if value is not None}
        url = self._base.with_path(path).with_query(query)
        service = service_of(path)
        # Whole-call deadlines are enforced by asyncio.timeout in the callers; streams only bound reads.
        client_timeout = aiohttp.ClientTimeout(total=None, sock_read=read_timeout)
        for _ in range(_MAX_AUTH_ROUNDS):
            authorization, middlewares = self._auth.prepare(service)
            data, headers = body.build() if body else (None, {})
            if authorization:
                headers["Authorization"] = authorization
            try:
                response = await self._session.request(
                    method,
                    url,
                    headers=headers,
                    data=data,
                    ssl=self._ssl,
                    timeout=client_timeout,
                    allow_redirects=False,
                    middlewares=middlewares,
                )
            except aiohttp.ClientError as exc:
                # Transport failures are subclasses; the bare ClientError is the Digest middleware
                # refusing a challenge it cannot answer (no nonce, unknown algorithm or qop).
                if middlewares and type(exc) is aiohttp.ClientError:
                    raise HeliosAuthError(
                        f"the device's Digest challenge cannot be answered: {exc}"
                    ) from None
                raise
            sent = response.request_info.headers.get("Authorization")
            self._auth.on_reply(service, sent)
            if response.status != 401:
                return response
            challenges = parse_challenges(response.headers.getall("WWW-Authenticate", []))
            reply = await response.read()
            response.release()
            try:
                self._auth.on_unauthorized(service, sent, challenges)
            except HeliosAuthError as exc:
                _attach_device_error(exc, reply)
                raise
        raise HeliosAuthError("authentication did not settle (repeated 401 with fresh challenges)")

    @staticmethod
    def _reject_status(status: int) -> None:
        if status != 200:
            raise HeliosProtocolError(f"unexpected HTTP status {status}")

    def _check_binary(self, response: aiohttp.ClientResponse, data: bytes, accept: tuple[str, ...]) -> None:
        content_type = response.content_type
        if content_type == "application/json":
            # 2N reports errors of binary functions as a JSON envelope with HTTP 200.
            decode_envelope(data)
            raise HeliosProtocolError("expected binary data, got a JSON reply")
        self._reject_status(response.status)
        if accept and not any(_media_matches(content_type, pattern) for pattern in accept):
            raise HeliosProtocolError(f"unexpected Content-Type {content_type!r}")


def _param(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _media_matches(content_type: str, pattern: str) -> bool:
    if pattern.endswith("/*"):
        return content_type.startswith(pattern[:-1])
    return content_type == pattern


def _attach_device_error(exc: HeliosAuthError, reply: bytes) -> None:
    """Keep the device's code/description of a 401 body (usually error 9) on the auth error."""
    try:
        decode_envelope(reply)
    except HeliosApiError as device:
        exc.code = device.code
        exc.description = device.description
    except HeliosProtocolError:
        pass
