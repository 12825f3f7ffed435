"""`entryphone serve` as operators run it (a subprocess on its own port): requests that never
finish arriving do not hold their connection."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.serving import served_url


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    data = tmp_path_factory.mktemp("serve")
    env = {
        **os.environ,
        "ENTRYPHONE_DATA_DIR": str(data),
        "ENTRYPHONE_DATABASE_URL": f"sqlite+aiosqlite:///{data / 'serve.sqlite3'}",
        "ENTRYPHONE_SUPERVISOR_ENABLED": "false",
        "ENTRYPHONE_REQUEST_READ_TIMEOUT": "1",
    }
    log = data / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "entryphone", "serve", "--port", "0"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        port = int(served_url(process, log).rsplit(":", 1)[1])
        yield port, log
    finally:
        process.terminate()
        process.wait(timeout=30)


def closed_by_server(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (the socket timeout only bounds
    a broken server: a connection held open fails the test)."""
    sock.settimeout(30)
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


@pytest.mark.parametrize(
    "sent",
    [
        b"",  # connected, never says anything
        b"GET /healthz HTTP/1.1\r\nHost: t\r\n",  # headers never finished
        b"POST /api/v1/token HTTP/1.1\r\nHost: t\r\nX-Client: web\r\nX-UUID: u\r\n"
        b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"login": ',  # body never finished
    ],
    ids=["silent", "half-headers", "half-body"],
)
def test_an_unfinished_request_is_closed(served: tuple[int, Path], sent: bytes) -> None:
    port, log = served
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(sent)
        assert closed_by_server(sock) == b""
    assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
    assert "Traceback" not in log.read_text()


def test_each_request_on_a_kept_alive_connection_gets_its_own_deadline(served: tuple[int, Path]) -> None:
    port, log = served
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        first = b""
        while not first.endswith(b'{"status":"ok"}'):  # head and body may come in separate reads
            chunk = sock.recv(65536)
            assert chunk, first
            first += chunk
        assert first.startswith(b"HTTP/1.1 200") and b"server:" not in first.lower()
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow")
        assert closed_by_server(sock) == b""
    assert "Traceback" not in log.read_text()
