"""MJPEG server push: frames and raw chunks, parsed incrementally."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from entryphone.helios import HeliosProtocolError, InvalidParameter
from entryphone.helios.stream import iter_multipart
from tests.helios.emulated import Session, StartDevice, client_for


async def test_mjpeg_frames(session: Session, start_device: StartDevice) -> None:
    client = client_for(session, await start_device())
    size = (await client.camera.caps()).jpeg_resolution[0]
    async with client.camera.stream(size.width, size.height, fps=15) as stream:
        assert stream.content_type.startswith("multipart/x-mixed-replace")
        frames = []
        async for frame in stream.frames():
            frames.append(frame)
            if len(frames) == 3:
                break
    assert all(f.content_type == "image/jpeg" and f.data[:2] == b"\xff\xd8" for f in frames)
    assert all(f.data.endswith(b"\xff\xd9") for f in frames)


async def test_mjpeg_raw_chunks_for_proxying(session: Session, start_device: StartDevice) -> None:
    client = client_for(session, await start_device())
    size = (await client.camera.caps()).jpeg_resolution[0]
    received = b""
    async with client.camera.stream(size.width, size.height, fps=10) as stream:
        async for chunk in stream.chunks():
            received += chunk
            if received.count(b"\xff\xd9") >= 2:
                break
    assert b"Content-Type: image/jpeg" in received


async def test_stream_error_reply_is_raised(session: Session, start_device: StartDevice) -> None:
    client = client_for(session, await start_device())
    with pytest.raises(InvalidParameter):
        async with client.camera.stream(1, 1, fps=5):
            pass


async def _pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


BODY = (
    b"preamble\r\n--frame\r\nContent-Type: image/jpeg\r\nContent-Length: 4\r\n\r\nAB--"
    b"\r\n--frame\r\nContent-Type: image/jpeg\r\n\r\nno length\r\n--frame--\r\n"
)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
async def test_multipart_parser_is_independent_of_chunking(size: int) -> None:
    frames = [f.data async for f in iter_multipart(_pieces(BODY, size), "frame")]
    assert frames == [b"AB--", b"no length"]


async def test_multipart_parser_bounds_frame_size() -> None:
    body = b"--frame\r\nContent-Length: 100\r\n\r\n" + b"x" * 100
    with pytest.raises(HeliosProtocolError):
        [f async for f in iter_multipart(_pieces(body, 10), "frame", max_frame_bytes=50)]
