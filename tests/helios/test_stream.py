"""MJPEG server push: frames and raw chunks, parsed incrementally."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiohttp import web

from entryphone.helios import HeliosProtocolError, InvalidParameter
from entryphone.helios.stream import HeliosStream
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


@asynccontextmanager
async def _served(body: bytes, piece: int, boundary: str = "frame") -> AsyncIterator[HeliosStream]:
    """`body` as a multipart/x-mixed-replace reply of a loopback server, written `piece` bytes at
    a time, opened as a HeliosStream."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": f"multipart/x-mixed-replace; boundary={boundary}"}
        )
        await response.prepare(request)
        for start in range(0, len(body), piece):
            await response.write(body[start : start + piece])
        return response

    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/") as reply:
            yield HeliosStream(reply, 5.0)
    finally:
        await runner.cleanup()


BODY = (
    b"preamble\r\n--frame\r\nContent-Type: image/jpeg\r\nContent-Length: 4\r\n\r\nAB--"
    b"\r\n--frame\r\nContent-Type: image/jpeg\r\n\r\nno length\r\n--frame--\r\n"
)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
async def test_multipart_parser_is_independent_of_chunking(size: int) -> None:
    async with _served(BODY, size) as stream:
        frames = [(f.content_type, f.data) async for f in stream.frames()]
    assert frames == [("image/jpeg", b"AB--"), ("image/jpeg", b"no length")]


async def test_multipart_parser_bounds_frame_size() -> None:
    declared = b"--frame\r\nContent-Length: 100\r\n\r\n" + b"x" * 100 + b"\r\n--frame--\r\n"
    async with _served(declared, 10) as stream:
        with pytest.raises(HeliosProtocolError):
            [f async for f in stream.frames(max_frame_bytes=50)]
    undeclared = b"--frame\r\n\r\n" + b"x" * 100 + b"\r\n--frame--\r\n"
    async with _served(undeclared, 10) as stream:
        with pytest.raises(HeliosProtocolError):
            [f async for f in stream.frames(max_frame_bytes=50)]


async def test_a_malformed_stream_is_a_protocol_error() -> None:
    async with _served(b"--frame\r\nContent-Length: 2\r\n\r\nABCDEF--frame--\r\n", 100) as stream:
        with pytest.raises(HeliosProtocolError):
            [f async for f in stream.frames()]
