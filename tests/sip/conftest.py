"""SIP fixtures: the app with short ring limits, seeded panels and residents, Kamailio and baresip."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from entryphone.config import Settings
from tests.conftest import _settings
from tests.support.server import RunningServer
from tests.support.sip import SipServer, missing_binaries

DOMAIN = "intercom.test"
RING_SECONDS = 4
TALK_SECONDS = 30


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return _settings(
        database_url,
        tmp_path_factory.mktemp("data"),
        sip_domain=DOMAIN,
        sip_ring_seconds=RING_SECONDS,
        sip_talk_seconds=TALK_SECONDS,
        sip_trunk="sip:127.0.0.1:9",
    )


@pytest.fixture(scope="module")
def sip_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sip")


@pytest.fixture(scope="module")
def kamailio(settings: Settings, server: RunningServer, sip_workdir: Path) -> Iterator[SipServer]:
    problem = missing_binaries()
    if problem is not None:
        pytest.skip(problem)
    running = SipServer(settings=settings, api_port=int(server.url.rsplit(":", 1)[1]), workdir=sip_workdir)
    running.start()
    try:
        yield running
    finally:
        running.stop()
