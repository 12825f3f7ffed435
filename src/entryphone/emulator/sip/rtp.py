"""Minimal media for a call: a 400 Hz test tone in PCMU out, RFC 4733 telephone events in.

One UDP socket per call, opened when the call is set up and closed when it ends. Incoming audio
is discarded; incoming telephone events are reported once per event (a new RTP timestamp).
"""

from __future__ import annotations

import asyncio
import math
import secrets
import struct
from collections.abc import Callable
from typing import Final

FRAME_SAMPLES: Final = 160  # 20 ms at 8 kHz
FRAME_SECONDS: Final = 0.02
EVENT_KEYS: Final = "0123456789*#ABCD"


def _ulaw(sample: int) -> int:
    bias, clip = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), clip) + bias
    exponent = 7
    for exp in range(7, -1, -1):
        if magnitude & (0x4000 >> (7 - exp)):
            exponent = exp
            break
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


# 400 Hz fits exactly 8 periods in a 20 ms frame, so one frame repeats without a click.
TONE_FRAME: Final = bytes(
    _ulaw(int(6000 * math.sin(2 * math.pi * 400 * n / 8000))) for n in range(FRAME_SAMPLES)
)


class RtpSession(asyncio.DatagramProtocol):
    def __init__(self, on_event: Callable[[str], None]) -> None:
        self._on_event = on_event
        self._transport: asyncio.DatagramTransport | None = None
        self._remote: tuple[str, int] | None = None
        self._event_payload: int | None = None
        self._seen: set[int] = set()
        self._sender: asyncio.Task[None] | None = None
        self._ssrc = secrets.randbits(32)
        self._sequence = secrets.randbits(16)
        self._timestamp = secrets.randbits(32)

    @classmethod
    async def open(cls, host: str, on_event: Callable[[str], None]) -> RtpSession:
        loop = asyncio.get_running_loop()
        transport, session = await loop.create_datagram_endpoint(lambda: cls(on_event), local_addr=(host, 0))
        session._transport = transport  # connection_made runs later, in a callback
        return session

    @property
    def port(self) -> int:
        assert self._transport is not None
        port: int = self._transport.get_extra_info("sockname")[1]
        return port

    def start(self, remote: tuple[str, int], event_payload: int | None) -> None:
        """Media flows once the far end's answer names its address (port 0: stream refused)."""
        self._event_payload = event_payload
        if remote[1] == 0:
            return
        self._remote = remote
        if self._sender is None:
            self._sender = asyncio.ensure_future(self._send_tone())

    async def _send_tone(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        marker = 0x80
        while self._transport is not None and self._remote is not None:
            header = struct.pack(
                "!BBHII", 0x80, marker | 0, self._sequence, self._timestamp & 0xFFFFFFFF, self._ssrc
            )
            marker = 0
            self._transport.sendto(header + TONE_FRAME, self._remote)
            self._sequence = (self._sequence + 1) & 0xFFFF
            self._timestamp += FRAME_SAMPLES
            next_at += FRAME_SECONDS
            await asyncio.sleep(max(0.0, next_at - loop.time()))

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        if len(data) < 12 or data[0] >> 6 != 2:
            return
        payload_type = data[1] & 0x7F
        if self._event_payload is None or payload_type != self._event_payload:
            return  # audio: listened to by nobody
        offset = 12 + 4 * (data[0] & 0x0F)
        if data[0] & 0x10:  # header extension
            if len(data) < offset + 4:
                return
            offset += 4 + 4 * struct.unpack_from("!H", data, offset + 2)[0]
        if len(data) < offset + 4:
            return
        event = data[offset]
        timestamp = struct.unpack_from("!I", data, 4)[0]
        # An event is sent many times (updates, three end packets) with the same timestamp.
        if event >= len(EVENT_KEYS) or timestamp in self._seen:
            return
        self._seen.add(timestamp)
        if len(self._seen) > 64:
            self._seen = {timestamp}
        self._on_event(EVENT_KEYS[event])

    def close(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
            self._sender = None
        if self._transport is not None:
            self._transport.close()
            self._transport = None
