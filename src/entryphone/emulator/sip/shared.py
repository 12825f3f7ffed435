"""The process's SIP transports: one UDP socket per listening address, shared by all panels."""

from __future__ import annotations

import asyncio
import weakref

from .transport import DEFAULT_TIMERS, SipTransport, Timers

_open: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, tuple[SipTransport, int]]] = (
    weakref.WeakKeyDictionary()
)
_lock: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


async def acquire(host: str, timers: Timers = DEFAULT_TIMERS) -> SipTransport:
    loop = asyncio.get_running_loop()
    lock = _lock.setdefault(loop, asyncio.Lock())
    async with lock:
        table = _open.setdefault(loop, {})
        if host in table:
            transport, users = table[host]
            table[host] = (transport, users + 1)
            return transport
        transport = await SipTransport.open(host, 0, timers)
        table[host] = (transport, 1)
        return transport


def release(transport: SipTransport) -> None:
    """The last panel gone closes the socket."""
    table = _open.get(asyncio.get_running_loop(), {})
    for host, (known, users) in list(table.items()):
        if known is transport:
            if users <= 1:
                del table[host]
                transport.close()
            else:
                table[host] = (known, users - 1)
