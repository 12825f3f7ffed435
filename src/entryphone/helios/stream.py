"""Server-push streams (camera snapshot with fps >= 1): raw chunks for proxying, or JPEG frames.

The multipart/x-mixed-replace body is parsed incrementally by aiohttp's MultipartReader: only the
frame being received is held in memory, never the stream, and a frame larger than
`max_frame_bytes` is an error rather than unbounded buffering.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import aiohttp
from aiohttp.helpers import parse_mimetype

from entryphone.helios.errors import HeliosProtocolError
from entryphone.helios.transport import transport_errors

DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024
_READ_SIZE = 64 * 1024


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
        """The parts of a multipart/x-mixed-replace body, one at a time. A part with a
        Content-Length is read by length (immune to the boundary bytes occurring inside a JPEG),
        one without up to the next delimiter."""
        mimetype = parse_mimetype(self.content_type)
        if mimetype.type != "multipart" or not mimetype.parameters.get("boundary"):
            raise HeliosProtocolError(f"not a multipart stream: {self.content_type!r}")
        reader = aiohttp.MultipartReader(self._response.headers, self._response.content)
        while True:
            with transport_errors(self._read_timeout), _malformed():
                part = await reader.next()
                if part is None:
                    return  # the closing delimiter
                if not isinstance(part, aiohttp.BodyPartReader):
                    raise HeliosProtocolError("a nested multipart part in a camera stream")
                data = await _read_part(part, max_frame_bytes)
            if data is None:
                return  # the stream stopped mid-frame: nothing complete to hand out
            yield MjpegFrame(part.headers.get("Content-Type", "application/octet-stream"), data)


async def _read_part(part: aiohttp.BodyPartReader, max_frame_bytes: int) -> bytes | None:
    length = part.headers.get("Content-Length")
    if length is not None and length.isdigit() and int(length) > max_frame_bytes:
        raise HeliosProtocolError(f"stream part larger than {max_frame_bytes} bytes")
    data = bytearray()
    while not part.at_eof():
        chunk = await part.read_chunk(_READ_SIZE)
        if not chunk and not part.at_eof():
            return None
        data.extend(chunk)
        if len(data) > max_frame_bytes:
            raise HeliosProtocolError(f"stream part larger than {max_frame_bytes} bytes")
    return bytes(data)


@contextmanager
def _malformed() -> Iterator[None]:
    """aiohttp's parser reports a malformed body as ValueError (or a subclass): a protocol error."""
    try:
        yield
    except ValueError as error:
        raise HeliosProtocolError(f"malformed multipart stream: {error}") from None
