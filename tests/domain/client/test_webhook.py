"""The webhook push provider against a real local HTTP server (aiohttp.web on 127.0.0.1)."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from entryphone.fleet.backoff import Backoff
from entryphone.pushes import Push, PushHub
from entryphone.pushes.lifecycle import provider_from
from entryphone.pushes.settings import PushSettings
from entryphone.pushes.webhook import WebhookProvider
from tests.domain.client.conftest import received, settle


@dataclass
class Receiver:
    url: str
    fail_first: int = 0
    status_when_failing: int = 503
    bodies: list[dict[str, Any]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    signatures: list[str | None] = field(default_factory=list)
    attempts: int = 0


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver(url="")

    async def handle(request: web.Request) -> web.Response:
        state.attempts += 1
        body = await request.read()
        if state.attempts <= state.fail_first:
            return web.Response(status=state.status_when_failing)
        state.raw.append(body)
        state.bodies.append(json.loads(body))
        state.signatures.append(request.headers.get("X-Entryphone-Signature"))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/push", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    state.url = f"http://127.0.0.1:{port}/push"
    try:
        yield state
    finally:
        await runner.cleanup()


PUSH = Push(account_id=7, event="intercom_call_ringing", data={"call": {"id": 1}})


async def test_delivers_signed_json(receiver: Receiver) -> None:
    provider = WebhookProvider(receiver.url, secret="s3cret", backoff=0.01)
    try:
        assert await provider.send(PUSH, ["phone-1"])
    finally:
        await provider.close()
    body = receiver.bodies[0]
    assert body["channel"] == "user.7" and body["event"] == "intercom_call_ringing"
    assert body["data"] == {"call": {"id": 1}} and body["devices"] == ["phone-1"] and body["id"]
    expected = hmac.new(b"s3cret", receiver.raw[0], hashlib.sha256).hexdigest()
    assert receiver.signatures == [f"sha256={expected}"]


async def test_retries_with_the_shared_full_jitter_back_off_until_accepted(receiver: Receiver) -> None:
    receiver.fail_first = 3
    waited: list[float] = []

    async def sleep(seconds: float) -> None:  # the test's clock: no real waiting
        waited.append(seconds)

    provider = WebhookProvider(
        receiver.url, attempts=4, backoff=1.0, max_backoff=3.0, rng=random.Random(5), sleep=sleep
    )
    try:
        assert await provider.send(PUSH, ["phone-1"])
    finally:
        await provider.close()
    assert receiver.attempts == 4 and len(receiver.bodies) == 1
    expected = Backoff(1.0, 3.0, random.Random(5))
    assert waited == [expected.next_delay() for _ in range(3)]
    assert all(0 <= wait <= cap for wait, cap in zip(waited, (1.0, 2.0, 3.0), strict=True))


async def test_gives_up_after_the_last_attempt_and_on_a_refusal(receiver: Receiver) -> None:
    receiver.fail_first = 10
    provider = WebhookProvider(receiver.url, attempts=3, backoff=0.01)
    try:
        assert not await provider.send(PUSH, ["phone-1"])
        assert receiver.attempts == 3
        receiver.attempts, receiver.status_when_failing = 0, 400
        assert not await provider.send(PUSH, ["phone-1"])
        assert receiver.attempts == 1  # a client error is not retried
    finally:
        await provider.close()


async def test_an_unreachable_receiver_is_retried_then_given_up() -> None:
    provider = WebhookProvider("http://127.0.0.1:9/push", attempts=2, backoff=0.01, timeout=2)
    try:
        assert not await provider.send(PUSH, ["phone-1"])
    finally:
        await provider.close()


async def test_the_hub_sends_only_devices_without_a_connection(receiver: Receiver) -> None:
    async def devices(account_id: int) -> list[str]:
        return ["connected", "asleep", "caused-it"] if account_id == 7 else []

    settings = PushSettings(webhook_url=receiver.url, webhook_backoff_seconds=0.01)  # type: ignore[call-arg]
    hub = PushHub(provider=provider_from(settings), devices=devices)
    await hub.start()
    try:
        live = hub.connect(7, "connected")
        hub.publish_nowait(Push(7, "intercom_deleted", {"ids": [1]}, exclude_device="caused-it"))
        await settle(hub)
        assert [push.event for push in received(live)] == ["intercom_deleted"]
        assert [body["devices"] for body in receiver.bodies] == [["asleep"]]
    finally:
        await hub.stop()
