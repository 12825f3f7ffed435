"""`entryphone demo` (what `make run` starts): the printed commands work as printed, Ctrl-C stops
everything cleanly, and a second run reuses the data."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


class Demo:
    """The demo on free ports: the API and the panels bind port 0 and the tour prints where."""

    def __init__(self, data_dir: Path) -> None:
        env = {**os.environ, "ENTRYPHONE_DATA_DIR": str(data_dir)}
        env.pop("ENTRYPHONE_DATABASE_URL", None)
        self.log = data_dir / f"demo-{time.monotonic_ns()}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "entryphone", "demo", "--panels", "2", "--port", "0",
                 "--panel-port", "0"],
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
        """Ctrl-C; the exit status is the conventional 128 + SIGINT."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=30)


def run_shell(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(not os.path.exists("/usr/bin/curl"), reason="curl is needed to run the printed commands")
def test_demo_commands_work_as_printed_and_data_is_reused(tmp_path: Path) -> None:
    demo = Demo(tmp_path / "var")
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
    finally:
        assert demo.interrupt() == 128 + signal.SIGINT
    assert "Demo stopped" in demo.output() and "Traceback" not in demo.output()
    first_ids = re.findall(r"#(\d+) Demo entrance", printed)

    assert re.search(r"API docs: http://127\.0\.0\.1:[1-9]\d*/docs", printed), printed

    again = Demo(tmp_path / "var")
    try:
        second = again.wait_ready()
        # The same intercoms, reachable where their panels listen this time: the door opens.
        exports = "\n".join(line for line in second.splitlines() if line.startswith("export "))
        commands = [line for line in second.splitlines() if line.startswith("curl ")]
        opened = run_shell(f"{exports}\n{commands[0]}")
        assert opened.returncode == 0 and " 204" in opened.stdout.splitlines()[0], opened.stdout
    finally:
        assert again.interrupt() == 128 + signal.SIGINT
    assert re.findall(r"#(\d+) Demo entrance", second) == first_ids
