"""`entryphone demo` (what `make run` starts): the printed commands work as printed, Ctrl-C stops
everything cleanly (exit status 0), a second demo that cannot listen changes nothing, and a later
run reuses the data, following the panels to new ports."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.paths import REPOSITORY

API_PORT = re.compile(r"API docs: http://127\.0\.0\.1:([1-9][0-9]*)/docs")
PANEL_PORT = re.compile(r"panel http://127\.0\.0\.1:([1-9][0-9]*)")


def ports_of(printed: str) -> tuple[int, list[int]]:
    """The API's and the panels' ports as the tour printed them (the demo binds port 0 here: no
    port is picked by the test, released and hoped to be free later)."""
    api = API_PORT.search(printed)
    assert api is not None, printed
    return int(api.group(1)), [int(port) for port in PANEL_PORT.findall(printed)]


class Demo:
    def __init__(self, data_dir: Path, api_port: int = 0, panel_port: int = 0) -> None:
        env = {**os.environ, "ENTRYPHONE_DATA_DIR": str(data_dir)}
        env.pop("ENTRYPHONE_DATABASE_URL", None)
        self.log = data_dir / f"demo-{time.monotonic_ns()}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "entryphone", "demo", "--panels", "2", "--port", str(api_port),
                 "--panel-port", str(panel_port)],
                env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def output(self) -> str:
        return self.log.read_text()

    def wait_ready(self, timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        while "Ctrl-C stops everything" not in self.output():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the demo did not start:\n{self.output()}")
            time.sleep(0.2)
        return self.output()

    def interrupt(self) -> int:
        """Ctrl-C: the way a demo is meant to end, so a clean stop with exit status 0."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=30)


def run_shell(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(not os.path.exists("/usr/bin/curl"), reason="curl is needed to run the printed commands")
def test_demo_commands_work_as_printed_and_data_is_reused(tmp_path: Path) -> None:
    demo = Demo(tmp_path / "var")
    try:
        printed = demo.wait_ready()
        api_port, panel_ports = ports_of(printed)
        exports = "\n".join(line for line in printed.splitlines() if line.startswith("export "))
        commands = [line for line in printed.splitlines() if line.startswith("curl ")]
        # With Kamailio running (installed, port free), a sixth: the panel calls the resident's flat.
        sip_running = "SIP server (Kamailio):" in printed
        assert len(commands) == (6 if sip_running else 5), printed
        opened_admin, opened_app, swiped = (run_shell(f"{exports}\n{c}") for c in commands[:3])
        for result in (opened_admin, opened_app, swiped):
            assert result.returncode == 0 and " 204" in result.stdout.splitlines()[0], result.stdout
        deadline = time.monotonic() + 20
        while '"CardEntered"' not in (journal := run_shell(f"{exports}\n{commands[3]}").stdout):
            assert time.monotonic() < deadline, journal
            time.sleep(0.3)
        history = run_shell(f"{exports}\n{commands[4]}").stdout
        assert '"source":"key"' in history and '"source":"app"' in history and '"source":"admin"' in history
        if sip_running:
            called = run_shell(f"{exports}\n{commands[5]}")
            assert called.returncode == 0 and " 204" in called.stdout.splitlines()[0], called.stdout

        # A second demo on the same data whose ports are taken fails before touching anything:
        # the running demo's data and tokens stay as they are.
        for ports in ((api_port, 0), (0, panel_ports[0])):
            clash = Demo(tmp_path / "var", *ports)
            assert clash.process.wait(timeout=60) == 1
            assert "Cannot listen" in clash.output() and "Traceback" not in clash.output()
            still = run_shell(f"{exports}\n{commands[0]}")
            assert " 204" in still.stdout.splitlines()[0], still.stdout
    finally:
        assert demo.interrupt() == 0
    assert "Demo stopped" in demo.output() and "Traceback" not in demo.output()
    first_ids = re.findall(r"#(\d+) Demo entrance", printed)

    # The same data with the panels on other ports (port 0: wherever the system puts them): the
    # intercoms follow them.
    again = Demo(tmp_path / "var")
    try:
        second = again.wait_ready()
        assert ports_of(second)[1] != panel_ports
        exports = "\n".join(line for line in second.splitlines() if line.startswith("export "))
        opened = run_shell(
            f"{exports}\n{next(line for line in second.splitlines() if line.startswith('curl '))}"
        )
        assert " 204" in opened.stdout.splitlines()[0], opened.stdout
    finally:
        assert again.interrupt() == 0
    assert re.findall(r"#(\d+) Demo entrance", second) == first_ids


@pytest.mark.skipif(not (REPOSITORY / ".venv" / "bin" / "entryphone").exists(), reason="needs `make install`")
def test_make_run_takes_the_ports_and_ctrl_c_is_a_clean_stop(tmp_path: Path) -> None:
    """`make run PORT=... PANEL_PORT=...` (or the same names in the environment), then Ctrl-C as a
    terminal sends it: to the whole foreground process group."""
    env = {**os.environ, "ENTRYPHONE_DATA_DIR": str(tmp_path / "var"), "PANEL_PORT": "0"}
    env.pop("ENTRYPHONE_DATABASE_URL", None)
    log = tmp_path / "make.log"
    with log.open("wb") as out:
        # -o install: the environment is already installed; do not let make decide to reinstall it.
        make = subprocess.Popen(
            ["make", "-C", str(REPOSITORY), "-o", "install", "run", "PORT=0", "PANELS=1"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while "Ctrl-C stops everything" not in log.read_text():
            assert make.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
    finally:
        os.killpg(make.pid, signal.SIGINT)
        status = make.wait(timeout=30)
    printed = log.read_text()
    api_port, panel_ports = ports_of(printed)  # PORT and PANEL_PORT reached the demo: 0, any free
    assert api_port > 0 and len(panel_ports) == 1
    assert "Demo stopped" in printed
    # The demo exits 0, so make reports no error. make itself got the terminal's SIGINT too and, as
    # GNU make does for a fatal signal, re-raises it on itself once its child has ended.
    assert "Error" not in printed and "Traceback" not in printed, printed
    assert status == -signal.SIGINT
