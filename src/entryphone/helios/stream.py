"""Server-push streams (camera snapshot with fps >= 1): raw chunks for proxying, or JPEG frames.

The multipart/x-mixed-replace body is parsed incrementally: only the frame being received is held
in memory, never the stream, and a frame larger than `max_frame_bytes` is an error rather than
unbounded buffering.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
from aiohttp.helpers import parse_mimetype

from entryphone.helios.errors import HeliosProtocolError
from entryphone.helios.transport import transport_errors

DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class MjpegFrame:
    content_type: str
    data: bytes


class HeliosStream:
    """An open streaming reply. Use it inside the `async with` that produced it."""

    def __init__(self, response: aiohttp.ClientResponse, read_timeout: float) -> None:
        self._response = response
        self._read_timeout = read_timeout

    @property
    def content_type(self) -> str:
        """The full Content-Type header (with the boundary), to forward when proxying."""
        return self._response.headers.get("Content-Type", self._response.content_type)

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives, unchanged."""
        with transport_errors(self._read_timeout):
            async for chunk in self._response.content.iter_any():
                yield chunk

    async def frames(self, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> AsyncIterator[MjpegFrame]:
        """The parts of a multipart/x-mixed-replace body, one at a time."""
        mimetype = parse_mimetype(self.content_type)
        boundary = mimetype.parameters.get("boundary")
        if mimetype.type != "multipart" or not boundary:
            raise HeliosProtocolError(f"not a multipart stream: {self.content_type!r}")
        async for frame in iter_multipart(self.chunks(), boundary, max_frame_bytes):
            yield frame


async def iter_multipart(
    chunks: AsyncIterator[bytes], boundary: str, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES
) -> AsyncIterator[MjpegFrame]:
    """Split a multipart body into parts. Uses Content-Length when a part has one (faster, and
    immune to the boundary bytes occurring inside a JPEG), the next delimiter otherwise."""
    delimiter = b"--" + boundary.encode()
    buffer = bytearray()
    ended = False

    async def fill() -> None:
        nonlocal ended
        chunk = await anext(chunks, b"")
        if not chunk:
            ended = True
        buffer.extend(chunk)
        if len(buffer) > max_frame_bytes + 4096:
            raise HeliosProtocolError(f"stream part larger than {max_frame_bytes} bytes")

    while True:
        # Find the next delimiter line, then the end of the part's header block.
        while (start := buffer.find(delimiter)) < 0 or (
            header_end := _header_end(buffer, start + len(delimiter))
        ) < 0:
            if ended:
                return
            if start < 0 and len(buffer) > len(delimiter):
                del buffer[: len(buffer) - len(delimiter)]  # preamble or garbage: keep only a tail
            await fill()
        after = start + len(delimiter)
        if buffer[after : after + 2] == b"--":
            return  # closing delimiter
        headers = _parse_headers(bytes(buffer[after:header_end]))
        del buffer[: header_end + 4]
        length = headers.get("content-length")
        if length is not None and length.isdigit():
            size = int(length)
            if size > max_frame_bytes:
                raise HeliosProtocolError(f"stream part larger than {max_frame_bytes} bytes")
            while len(buffer) < size:
                if ended:
                    return  # the stream stopped mid-frame: nothing complete to hand out
                await fill()
            data = bytes(buffer[:size])
            del buffer[:size]
        else:
            while (end := buffer.find(b"\r\n" + delimiter)) < 0:
                if ended:
                    return
                await fill()
            data = bytes(buffer[:end])
            del buffer[:end]
        yield MjpegFrame(headers.get("content-type", "application/octet-stream"), data)


def _header_end(buffer: bytearray, start: int) -> int:
    """Index of the blank line that ends a part's headers, or -1 while it has not arrived."""
    position = buffer.find(b"\r\n\r\n", start)
    return position if position >= 0 else -1


def _parse_headers(block: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in block.decode("latin-1").split("\r\n"):
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers
