"""Event log: long-poll timing, 128-event batches, expiry, include, privileges; events from the world."""

from __future__ import annotations

import asyncio

import aiohttp

from entryphone.emulator import Account, DeviceConfig, EmulatedDevice
from tests.support.clock import ManualClock, until

from .conftest import StartDevice, api, control, pulling


async def _subscribe(session: aiohttp.ClientSession, device: EmulatedDevice, query: str = "") -> int:
    channel: int = (await api(session, device, f"/api/log/subscribe?{query}"))["result"]["id"]
    return channel


async def _pull(
    session: aiohttp.ClientSession, device: EmulatedDevice, channel: int, timeout: float = 0
) -> list:
    doc = await api(session, device, f"/api/log/pull?id={channel}&timeout={timeout}")
    assert doc["success"] is True, doc
    events: list = doc["result"]["events"]
    return events


async def test_pull_waits_for_the_next_event(
    digest: aiohttp.ClientSession, http: aiohttp.ClientSession, start_device: StartDevice
) -> None:
    clock = ManualClock()
    device = await start_device(clock=clock)
    channel = await _subscribe(digest, device)
    pull = asyncio.ensure_future(_pull(digest, device, channel, timeout=5))
    await until(lambda: pulling(device), "the pull never started waiting")
    clock.advance(4.999)
    assert pulling(device)  # still within its timeout
    assert await control(http, device, "input", {"port": "input1", "state": True}) == 204
    events = await pull
    assert [(e["event"], e["params"]) for e in events] == [
        ("InputChanged", {"port": "input1", "state": True})
    ]


async def test_pull_times_out_empty(digest: aiohttp.ClientSession, start_device: StartDevice) -> None:
    clock = ManualClock()
    device = await start_device(clock=clock)
    channel = await _subscribe(digest, device)
    pull = asyncio.ensure_future(_pull(digest, device, channel, timeout=1))
    await until(lambda: pulling(device), "the pull never started waiting")
    clock.advance(0.999)
    assert pulling(device)
    clock.advance(0.001)
    assert await pull == []


async def test_backlog_comes_in_batches_of_128(
    digest: aiohttp.ClientSession, http: aiohttp.ClientSession, device: EmulatedDevice
) -> None:
    for _ in range(100):  # each key press logs KeyPressed and KeyReleased
        await control(http, device, "key", {"key": "1"})
    channel = await _subscribe(digest, device, "include=all")
    sizes = []
    while batch := await _pull(digest, device, channel):
        sizes.append(len(batch))
    assert sizes == [128, 74]  # 2 startup events + 200 key events


async def test_ids_filter_and_include_window(
    digest: aiohttp.ClientSession, http: aiohttp.ClientSession, device: EmulatedDevice
) -> None:
    await control(http, device, "key", {"key": "5"})
    recent = await _subscribe(digest, device, "include=-10&filter=KeyReleased")
    events = await _pull(digest, device, recent)
    assert [e["event"] for e in events] == ["KeyReleased"]
    assert events[0]["id"] == 4  # device-wide ids: startup 1, registration 2, pressed 3
    assert (await api(digest, device, "/api/log/subscribe?filter=NoSuchEvent"))["error"]["param"] == "filter"
    assert (await api(digest, device, "/api/log/subscribe?duration=3601"))["error"]["param"] == "duration"


async def test_channel_expires_after_duration(
    digest: aiohttp.ClientSession, start_device: StartDevice
) -> None:
    clock = ManualClock()
    device = await start_device(clock=clock)
    channel = await _subscribe(digest, device, "duration=1")
    clock.advance(0.6)
    assert await _pull(digest, device, channel) == []  # the pull extends the channel's life
    clock.advance(0.6)
    assert await _pull(digest, device, channel) == []
    clock.advance(0.999)
    assert await _pull(digest, device, channel) == []
    clock.advance(1.0)
    doc = await api(digest, device, f"/api/log/pull?id={channel}")
    assert doc["error"] == {"code": 12, "param": "id", "description": "invalid parameter value"}


async def test_events_need_the_account_privilege(
    http: aiohttp.ClientSession, start_device: StartDevice
) -> None:
    config = DeviceConfig(
        accounts=[Account("admin", "2n"), Account("cards", "pw", privileges=frozenset({"uid:monitoring"}))]
    )
    device = await start_device(config=config)
    async with aiohttp.ClientSession(middlewares=(aiohttp.DigestAuthMiddleware("cards", "pw"),)) as cards:
        channel = await _subscribe(cards, device, "include=all")
        await control(http, device, "key", {"key": "1"})
        await control(http, device, "card", {"uid": "0104AB12CD"})
        names = [e["event"] for e in await _pull(cards, device, channel)]
    assert names == ["DeviceState", "CardEntered"]  # no keypad or phone events for this account


async def test_world_events(
    http: aiohttp.ClientSession, digest: aiohttp.ClientSession, device: EmulatedDevice
) -> None:
    channel = await _subscribe(digest, device)
    for action, body in [
        ("tamper", {"state": "in"}),
        ("motion", {"state": "in"}),
        ("noise", {"state": "out"}),
        ("sip", {"account": 1, "registered": False}),
        ("code", {"code": "12"}),
    ]:
        assert await control(http, device, action, body) == 204
    events = [(e["event"], e["params"]) for e in await _pull(digest, device, channel)]
    assert events == [
        ("TamperSwitchActivated", {"state": "in"}),
        ("MotionDetected", {"state": "in"}),
        ("NoiseDetected", {"state": "out"}),
        ("RegistrationStateChanged", {"sipAccount": 1, "state": "unregistered"}),
        ("KeyPressed", {"key": "1"}),
        ("KeyReleased", {"key": "1"}),
        ("KeyPressed", {"key": "2"}),
        ("KeyReleased", {"key": "2"}),
        ("CodeEntered", {"code": "12", "valid": False}),
    ]
    assert await control(http, device, "input", {"port": "relay1", "state": True}) == 422


async def test_flat_call_state_machine(
    http: aiohttp.ClientSession, digest: aiohttp.ClientSession, start_device: StartDevice
) -> None:
    clock = ManualClock()
    device = await start_device(clock=clock)
    channel = await _subscribe(digest, device, "filter=CallStateChanged")
    async with http.post(device.control_url + "/call", json={"flat": 12}) as response:
        assert response.status == 204
        session = int(response.headers["X-Emulator-Session"])
    clock.advance(device.timings.ring_delay)  # connecting -> ringing after the ring delay
    assert await control(http, device, "call/answer", {"session": session}) == 204
    assert await control(http, device, "call/hangup", {"session": session}) == 204
    states = [(e["params"]["state"], e["params"].get("reason")) for e in await _pull(digest, device, channel)]
    assert states == [("connecting", None), ("ringing", None), ("connected", None), ("terminated", "normal")]
    peer = (await _pull(digest, device, channel)) or None
    assert peer is None
    assert await control(http, device, "call/hangup", {"session": session}) == 422


async def test_monostable_switch_falls_back(digest: aiohttp.ClientSession, start_device: StartDevice) -> None:
    clock = ManualClock()
    config = DeviceConfig()
    config.switches[0].duration = 3
    device = await start_device(config=config, clock=clock)
    channel = await _subscribe(digest, device, "filter=SwitchStateChanged")
    await api(digest, device, "/api/switch/ctrl?switch=1&action=on")
    first = await _pull(digest, device, channel)
    second = asyncio.ensure_future(_pull(digest, device, channel, timeout=10))
    await until(lambda: pulling(device), "the pull never started waiting")
    clock.advance(2.999)
    assert pulling(device)  # still on
    clock.advance(0.001)
    events = first + await second
    assert [e["params"] for e in events] == [
        {"switch": 1, "state": True},
        {"switch": 1, "state": False},
    ]
    assert events[1]["upTime"] - events[0]["upTime"] == 3
