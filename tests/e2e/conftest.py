"""End to end: the app with its fleet supervisor, Kamailio run by `entryphone sip`, an emulated
2N panel speaking SIP, and Debian's baresip as the resident's phone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from entryphone.config import Settings
from tests.conftest import _settings
from tests.fleet.conftest import fleet_settings
from tests.support.emulators import BackgroundEmulators
from tests.support.server import RunningServer, start_server
from tests.support.sip import SipServer, missing_binaries

DOMAIN = "intercom.test"
RING_SECONDS = 20
TALK_SECONDS = 60


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    base = _settings(
        database_url,
        tmp_path_factory.mktemp("data"),
        sip_domain=DOMAIN,
        sip_ring_seconds=RING_SECONDS,
        sip_talk_seconds=TALK_SECONDS,
        sip_trunk="sip:127.0.0.1:9",
    )
    return fleet_settings(base)


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[RunningServer]:
    """The app with its supervisor: it provisions the panel and pulls its events."""
    running = start_server(settings)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def kamailio(
    settings: Settings, server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SipServer]:
    problem = missing_binaries()
    if problem is not None:
        pytest.skip(problem)
    workdir: Path = tmp_path_factory.mktemp("sip")
    running = SipServer(settings=settings, api_port=int(server.url.rsplit(":", 1)[1]), workdir=workdir)
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def panels(backend: str) -> Iterator[BackgroundEmulators]:
    """2.4x firmware: it reports the digits a phone sends (DtmfPressed)."""
    running = BackgroundEmulators(count=3, profile="2.4x").start()
    try:
        yield running
    finally:
        running.stop()
