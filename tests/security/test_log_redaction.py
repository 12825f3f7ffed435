"""No credential reaches a log line: `entryphone serve` really started as a process (debug logging,
uvicorn's access log on), every credential form sent to it, then its whole output searched.

Also the ways to authenticate a WebSocket without a token in the URL (subprotocol, first message)."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from entryphone.config import Settings
from entryphone.models import Role
from tests.conftest import TEST_SECRET_KEY
from tests.support import seed
from tests.support.wait import until


@dataclass
class ServeProcess:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def serve(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    port = _free_port()
    log = tmp_path_factory.mktemp("serve-log") / "serve.log"
    env = {
        **os.environ,
        "ENTRYPHONE_DATABASE_URL": settings.database_url,
        "ENTRYPHONE_DATA_DIR": str(settings.data_dir),
        "ENTRYPHONE_SECRET_KEY": TEST_SECRET_KEY,
        "ENTRYPHONE_SUPERVISOR_ENABLED": "false",
        "ENTRYPHONE_LOG_LEVEL": "debug",  # the most talkative level: websockets logs handshake headers
    }
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "entryphone", "serve", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    running = ServeProcess(url=f"http://127.0.0.1:{port}", process=process, log=log)
    try:
        until(lambda: process.poll() is not None or _answers(running.url), timeout=60)
        assert process.poll() is None, running.output()
        yield running
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def refused_token() -> str:
    # Not shaped like our tokens, so only the query/header/subprotocol redaction can hide it.
    return "NotOurs" + secrets.token_hex(16)


async def _subscribed(url: str, **kwargs: object) -> dict[str, object]:
    async with connect(url, **kwargs) as socket:  # type: ignore[arg-type]
        return json.loads(await asyncio.wait_for(socket.recv(), 10))  # type: ignore[no-any-return]


async def _first_message(url: str, token: str) -> dict[str, object] | int:
    """Connect without credentials, send the token as the first message: the subscription, or the
    close code when refused."""
    async with connect(url) as socket:
        await socket.send(json.dumps({"token": token}))
        try:
            return json.loads(await asyncio.wait_for(socket.recv(), 10))  # type: ignore[no-any-return]
        except ConnectionClosed as closed:
            assert closed.rcvd is not None
            return closed.rcvd.code


async def _refused_handshake(url: str, **kwargs: object) -> int:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, **kwargs):  # type: ignore[arg-type]
            pass
    return refused.value.response.status_code


async def test_no_credential_form_reaches_the_log(serve: ServeProcess, settings: Settings) -> None:
    admin = seed.account(settings, Role.admin)
    resident = seed.account(settings, Role.resident)
    password = "Spr4y-" + secrets.token_hex(8)
    refused = [refused_token() for _ in range(8)]
    ws = serve.url.replace("http://", "ws://")
    client_ws, admin_ws = f"{ws}/api/v1/ws", f"{ws}/api/admin/v1/ws"
    protocol = "entryphone.v1"

    async with httpx.AsyncClient(base_url=serve.url, timeout=30) as http:
        # HTTP: the header, query credentials of every spelling, a refused header, a login password.
        ok = await http.get("/api/admin/v1/intercoms", headers={"Authorization": f"Bearer {admin.token}"})
        assert ok.status_code == 200
        assert (
            await http.get("/api/admin/v1/intercoms", headers={"Authorization": f"Bearer {refused[0]}"})
        ).status_code == 401
        for query in (
            {"token": admin.token},
            {"access_token": admin.token},
            {"password": password},
            {"api_key": refused[1]},
        ):
            reply = await http.get("/api/admin/v1/intercoms", params=query)
            assert reply.status_code == 401
        login = await http.post(
            f"/api/v1/token?password={password}",
            json={"login": resident.login, "password": password},
            headers={"X-Client": "web", "X-UUID": "log-phone"},
        )
        assert login.status_code == 422

    uuid = "?uuid=log-phone"
    # The client WebSocket: header, query (valid and refused), subprotocol (valid and refused),
    # first message (valid and refused).
    headers = {"Authorization": f"Bearer {resident.token}", "X-UUID": "log-phone"}
    assert (await _subscribed(client_ws, additional_headers=headers))["event"] == "subscribed"
    assert (await _subscribed(f"{client_ws}{uuid}&token={resident.token}"))["event"] == "subscribed"
    assert await _refused_handshake(f"{client_ws}{uuid}&token={refused[2]}") == 403
    async with connect(f"{client_ws}{uuid}", subprotocols=[protocol, f"bearer.{resident.token}"]) as socket:  # type: ignore[list-item]
        assert socket.subprotocol == protocol  # never the protocol that carries the token
        assert json.loads(await socket.recv())["channel"] == f"user.{resident.id}"
    bad_protocol = [protocol, f"bearer.{refused[3]}"]
    assert await _refused_handshake(f"{client_ws}{uuid}", subprotocols=bad_protocol) == 403
    assert (await _first_message(f"{client_ws}{uuid}", resident.token)) == {
        "event": "subscribed",
        "channel": f"user.{resident.id}",
    }
    assert await _first_message(f"{client_ws}{uuid}", refused[4]) == 4401

    # The admin WebSocket: the same forms.
    assert (await _subscribed(f"{admin_ws}?token={admin.token}"))["channel"] == "admins"
    assert await _refused_handshake(f"{admin_ws}?access_token=x&token={refused[5]}") == 403
    assert (await _subscribed(admin_ws, subprotocols=[protocol, f"bearer.{admin.token}"]))[
        "channel"
    ] == "admins"
    assert await _refused_handshake(admin_ws, subprotocols=[protocol, f"bearer.{refused[6]}"]) == 403
    assert (await _first_message(admin_ws, admin.token)) == {"event": "subscribed", "channel": "admins"}
    assert await _first_message(admin_ws, refused[7]) == 4401

    # The requests above were logged (so the search below is not over an empty log)...
    output = until(lambda: (text := serve.output()).count("/api/v1/ws") >= 6 and text, timeout=20)
    assert "GET /api/admin/v1/intercoms" in output
    assert "[redacted]" in output
    # ...and no credential is in it, in any form.
    for secret in (admin.token, resident.token, password, *refused):
        assert secret not in output, f"{secret[:10]}... is in the server log"
