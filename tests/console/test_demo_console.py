"""`make run` prints the console's address and the demo administrator's password, and they work."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.console.test_sessions import sign_in
from tests.test_demo import Demo

PRINTED = re.compile(r"Operator's console: (http://\S+)/console \(sign in as (\S+) / (\S+)\)")


def test_the_printed_console_sign_in_works(tmp_path: Path) -> None:
    demo = Demo(tmp_path / "var")
    try:
        found = PRINTED.search(demo.wait_ready())
        assert found is not None, demo.output()
        url, login, password = found.groups()
        with httpx.Client(base_url=url, timeout=30) as client:
            signed_in = sign_in(client, login, password)
            assert signed_in.status_code == 303, signed_in.text
            fleet = client.get("/console/fleet")
            assert fleet.status_code == 200 and "Demo entrance 1" in fleet.text
    finally:
        assert demo.interrupt() == 0  # Ctrl-C is a clean stop
