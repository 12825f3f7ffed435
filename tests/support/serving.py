"""`entryphone serve` started as operators start it, on port 0: the test reads the port the server
bound from its own log line, so no port is picked, released and hoped to be free later."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import httpx

from tests.support.wait import until

LISTENING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")


def served_url(process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> str:
    """The base URL of a `serve --port 0` process once it answers /healthz (at log level info)."""

    def listening() -> str | None:
        assert process.poll() is None, log.read_text(errors="replace")
        found = LISTENING.search(log.read_text(errors="replace"))
        return f"http://127.0.0.1:{found.group(1)}" if found else None

    url = until(listening, timeout=timeout, message="serve did not bind its port")

    def answering() -> bool:  # with --workers the port listens before a worker has the app
        try:
            return httpx.get(f"{url}/healthz").status_code == 200
        except httpx.TransportError:
            return False

    until(answering, timeout=timeout, message="serve did not answer /healthz")
    return url
