"""How `entryphone serve` (and the demo) run uvicorn: the protocol with a read deadline and the
connection limits, in one place.

uvicorn closes idle keep-alive connections, but it puts no deadline on reading a request: a client
that sends half its headers, or announces a body and never finishes it, holds a connection (and a
file descriptor) for ever, and a few thousand of them exhaust the process. `ReadDeadline` gives each
request `request_read_timeout` seconds, counted from the moment the server waits for it (connection
opened, or previous response sent), to arrive whole: headers and body. A handler that takes its time
once the request is in (a long-poll, a WebSocket) is not affected.
"""

from __future__ import annotations

import asyncio
import importlib.util
from typing import TYPE_CHECKING, Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from entryphone.config import Settings
from entryphone.observability.logs import log_config

if TYPE_CHECKING or importlib.util.find_spec("httptools") is None:
    _Base: type[Any] = H11Protocol
else:  # the faster parser, which uvicorn's "auto" picks too when it is installed
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Base


class ReadDeadline(_Base):  # type: ignore[misc]
    read_timeout: float = 30.0  # replaced per server by protocol_for()

    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()  # the next request on this keep-alive connection gets its own deadline

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self._deadline = self.loop.call_later(self.read_timeout, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self.transport.is_closing() or self.transport.get_protocol() is not self:
            return  # closed meanwhile, or upgraded to a WebSocket (which pings on its own)
        cycle = self.cycle
        waiting_for_headers = cycle is None or cycle.response_complete
        if waiting_for_headers or cycle.more_body:
            # Headers or body still incomplete: nothing useful can be answered; close. The handler
            # waiting for the body, if any, sees the client disconnect.
            self.transport.close()


def protocol_for(settings: Settings) -> type[ReadDeadline]:
    """A ReadDeadline class with this server's timeout (uvicorn instantiates the class itself)."""
    return type("ReadDeadline", (ReadDeadline,), {"read_timeout": settings.request_read_timeout})


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for uvicorn.Config / uvicorn.run shared by every command that serves."""
    return {
        "http": protocol_for(settings),
        "timeout_keep_alive": settings.keep_alive_timeout,
        "timeout_graceful_shutdown": settings.graceful_shutdown_timeout,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "server_header": False,  # no version banner for scanners
        "log_config": log_config(settings.log_level),  # no credential reaches a log line
        "proxy_headers": False,  # the app decides whom to believe: ENTRYPHONE_TRUSTED_PROXIES
    }
