"""The emulator's control API (/_emulator/...) answers loopback callers only.

No traffic may leave loopback on this machine, so a foreign caller is simulated at the aiohttp level
(a request whose transport's peer is a non-loopback address) through the very dispatch the panel's
router uses; a loopback caller is checked over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from unittest import mock

import httpx
import pytest
from aiohttp.test_utils import make_mocked_request

from entryphone.emulator import control
from tests.support.emulators import BackgroundEmulators


@pytest.fixture(scope="module")
def emulators() -> Iterator[BackgroundEmulators]:
    running = BackgroundEmulators(1).start()
    try:
        yield running
    finally:
        running.stop()


def _from(peer: tuple[str, int] | None, path: str = "/_emulator/state", method: str = "GET") -> object:
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: peer if name == "peername" else default
    return make_mocked_request(method, path, transport=transport)


@pytest.mark.parametrize(
    "peer",
    [("192.0.2.7", 40000), ("10.0.0.5", 40000), ("2001:db8::1", 40000), ("::ffff:192.0.2.7", 40000), None],
)
@pytest.mark.parametrize(("method", "path"), [("GET", "/_emulator/state"), ("POST", "/_emulator/card")])
def test_a_foreign_caller_is_refused(
    emulators: BackgroundEmulators, peer: tuple[str, int] | None, method: str, path: str
) -> None:
    device = emulators.devices[0]
    request = _from(peer, path, method)

    async def dispatch() -> tuple[int, bytes]:
        reply = await control.dispatch(device, request, b'{"uid": "0A0B0C0D"}')  # type: ignore[arg-type]
        return reply.status, reply.body  # type: ignore[return-value]

    status, body = emulators.run(dispatch)
    assert status == 403
    assert b"loopback" in body


@pytest.mark.parametrize("peer", [("127.0.0.1", 40000), ("127.8.9.10", 40000), ("::1", 40000)])
def test_loopback_peers_pass_the_check(emulators: BackgroundEmulators, peer: tuple[str, int]) -> None:
    request = _from(peer)

    async def dispatch() -> int:
        return (await control.dispatch(emulators.devices[0], request, b"")).status  # type: ignore[arg-type]

    assert emulators.run(dispatch) == 200


def test_a_loopback_caller_gets_through_over_http(emulators: BackgroundEmulators) -> None:
    device = emulators.devices[0]
    state = httpx.get(f"{device.control_url}/state", timeout=10)
    assert state.status_code == 200, state.text
    assert httpx.post(f"{device.control_url}/card", json={"uid": "0A0B0C0D"}, timeout=10).status_code == 204
