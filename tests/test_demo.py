"""`entryphone demo` (what `make run` starts): the printed commands work as printed, Ctrl-C stops
everything cleanly (exit status 0), a second demo that cannot listen changes nothing, and a later
run reuses the data, following the panels to new ports."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.paths import REPOSITORY


def free_ports(count: int) -> int:
    """A first port with `count` free ports after it (best effort, loopback only)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = int(probe.getsockname()[1])
        if first + count >= 65000:
            continue
        sockets = []
        try:
            for port in range(first, first + count):
                sock = socket.socket()
                sock.bind(("127.0.0.1", port))
                sockets.append(sock)
            return first
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no free port range")


class Demo:
    def __init__(self, data_dir: Path, api_port: int, panel_port: int) -> None:
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
    api_port, panel_port = free_ports(1), free_ports(2)
    demo = Demo(tmp_path / "var", api_port, panel_port)
    try:
        printed = demo.wait_ready()
        exports = "\n".join(line for line in printed.splitlines() if line.startswith("export "))
        commands = [line for line in printed.splitlines() if line.startswith("curl ")]
        assert len(commands) == 5, printed
        opened_admin, opened_app, swiped = (run_shell(f"{exports}\n{c}") for c in commands[:3])
        for result in (opened_admin, opened_app, swiped):
            assert result.returncode == 0 and " 204" in result.stdout.splitlines()[0], result.stdout
        deadline = time.monotonic() + 20
        while '"CardEntered"' not in (journal := run_shell(f"{exports}\n{commands[3]}").stdout):
            assert time.monotonic() < deadline, journal
            time.sleep(0.3)
        history = run_shell(f"{exports}\n{commands[4]}").stdout
        assert '"source":"key"' in history and '"source":"app"' in history and '"source":"admin"' in history

        # A second demo on the same data whose ports are taken fails before touching anything:
        # the running demo's data and tokens stay as they are.
        for ports in ((api_port, free_ports(2)), (free_ports(1), panel_port)):
            clash = Demo(tmp_path / "var", *ports)
            assert clash.process.wait(timeout=60) == 1
            assert "Cannot listen" in clash.output() and "Traceback" not in clash.output()
            still = run_shell(f"{exports}\n{commands[0]}")
            assert " 204" in still.stdout.splitlines()[0], still.stdout
    finally:
        assert demo.interrupt() == 0
    assert "Demo stopped" in demo.output() and "Traceback" not in demo.output()
    first_ids = re.findall(r"#(\d+) Demo entrance", printed)

    # The same data with the panels on other ports: the intercoms follow them.
    moved = free_ports(2)
    again = Demo(tmp_path / "var", api_port, moved)
    try:
        second = again.wait_ready()
        assert f"panel http://127.0.0.1:{moved}" in second
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
    api_port, panel_port = free_ports(1), free_ports(1)
    env = {**os.environ, "ENTRYPHONE_DATA_DIR": str(tmp_path / "var"), "PANEL_PORT": str(panel_port)}
    env.pop("ENTRYPHONE_DATABASE_URL", None)
    log = tmp_path / "make.log"
    with log.open("wb") as out:
        # -o install: the environment is already installed; do not let make decide to reinstall it.
        make = subprocess.Popen(
            ["make", "-C", str(REPOSITORY), "-o", "install", "run", f"PORT={api_port}", "PANELS=1"],
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
    assert (
        f"http://127.0.0.1:{api_port}/docs" in printed and f"panel http://127.0.0.1:{panel_port}" in printed
    )
    assert "Demo stopped" in printed
    # The demo exits 0, so make reports no error; make itself, interrupted too, ends as interrupted
    # programs do (GNU make re-raises SIGINT on itself) or with 0.
    assert "Error" not in printed and "Traceback" not in printed, printed
    assert status in (0, -signal.SIGINT)
