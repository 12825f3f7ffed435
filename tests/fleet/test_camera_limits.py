"""Item 17 of issue 15: a snapshot size the panel's camera does not offer is a 422 (not the device's
error as a 502), and an MJPEG stream ends when its client goes away and after the configured longest
duration. Emulated 2N panels over loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from entryphone.config import Settings
from entryphone.models import Role
from tests.conftest import Api
from tests.fleet.conftest import add_intercom, fleet_settings, intercom_row
from tests.support import seed
from tests.support.emulators import BackgroundEmulators
from tests.support.server import RunningServer, start_server
from tests.support.wait import until

ADMIN = "/api/admin/v1/intercoms"


def _server(settings: Settings, **overrides: object) -> Iterator[RunningServer]:
    running = start_server(fleet_settings(settings, **overrides))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def short_streams(settings: Settings) -> Iterator[RunningServer]:
    yield from _server(settings, video_stream_max_seconds=1.0)


@pytest.fixture(scope="module")
def panel(settings: Settings, emulators: BackgroundEmulators, short_streams: RunningServer) -> int:
    intercom_id = add_intercom(settings, emulators.devices[1])
    until(lambda: intercom_row(settings, intercom_id).is_online, timeout=30)
    return intercom_id


@pytest.fixture(scope="module")
def admin_token(settings: Settings) -> str:
    return seed.account(settings, Role.admin).token


def test_a_size_the_camera_does_not_offer_is_a_422(
    short_streams: RunningServer, panel: int, admin_token: str
) -> None:
    with Api(short_streams.url).client(admin_token) as client:
        refused = client.get(f"{ADMIN}/{panel}/snapshot", params={"width": 16, "height": 16})
        assert refused.status_code == 422, refused.text
        errors = refused.json()["errors"]
        assert set(errors) == {"width", "height"}
        assert "640x480" in errors["width"][0]  # it says which sizes the camera offers
        # The same for a stream, before any byte of it is sent.
        stream = client.get(f"{ADMIN}/{panel}/snapshot", params={"width": 16, "height": 16, "fps": 1})
        assert stream.status_code == 422
        # An offered size is taken.
        offered = re.findall(r"(\d+)x(\d+)", errors["width"][0])
        width, height = offered[0]
        taken = client.get(f"{ADMIN}/{panel}/snapshot", params={"width": width, "height": height})
        assert taken.status_code == 200 and taken.content[:2] == b"\xff\xd8"


def test_a_stream_ends_after_the_longest_duration(
    short_streams: RunningServer, panel: int, admin_token: str
) -> None:
    with (
        Api(short_streams.url).client(admin_token) as client,
        client.stream("GET", f"{ADMIN}/{panel}/snapshot", params={"fps": 5}) as stream,
    ):
        assert stream.status_code == 200
        received = b"".join(stream.iter_bytes())  # returns only because the server ends the body
    assert received.count(b"\xff\xd8") >= 1


def _open_streams(server: RunningServer) -> float:
    text = httpx.get(f"{server.url}/metrics", timeout=10).text
    found = re.search(r"^entryphone_video_streams_open ([0-9.]+)$", text, re.MULTILINE)
    assert found is not None, "the gauge is exported"
    return float(found.group(1))


def test_a_stream_ends_when_its_client_goes_away(settings: Settings, panel: int, admin_token: str) -> None:
    for server in _server(settings):  # the default longest duration (10 minutes)
        with (
            Api(server.url).client(admin_token) as client,
            client.stream("GET", f"{ADMIN}/{panel}/snapshot", params={"fps": 5}) as stream,
        ):
            assert stream.status_code == 200
            chunks = stream.iter_bytes()  # kept: a dropped iterator closes the response
            next(chunks)
            assert _open_streams(server) == 1
        # The client hung up: the server notices, and closes the panel's stream too.
        until(lambda server=server: _open_streams(server) == 0, timeout=20)
