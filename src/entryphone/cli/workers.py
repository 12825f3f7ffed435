"""`entryphone serve --workers N`: one node using its cores.

uvicorn's process manager runs N workers on one listening socket (each a full app, each its own
pool); the fleet supervisor must run once per node, not once per worker (each would hold leases
and long-polls of its own), so the workers run without it and the supervisor runs beside them as
`entryphone supervisor`, restarted if it dies, stopped when the workers stop.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading

import uvicorn

from entryphone.config import Settings
from entryphone.observability.logs import log_config

log = logging.getLogger(__name__)

RESTART_DELAY_SECONDS = 2.0


class _SupervisorProcess:
    """`entryphone supervisor` as a child process, kept running until `stop`."""

    def __init__(self, env: dict[str, str]) -> None:
        self._env = env
        self._stopping = threading.Event()
        self._process = self._start()
        self._watch = threading.Thread(target=self._keep_running, name="supervisor watch", daemon=True)
        self._watch.start()

    def _start(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "entryphone", "supervisor"], env=self._env)

    def _keep_running(self) -> None:
        while True:
            code = self._process.wait()
            if self._stopping.wait(RESTART_DELAY_SECONDS):
                return
            log.error("the fleet supervisor exited with status %s; starting it again", code)
            self._process = self._start()

    def stop(self) -> None:
        self._stopping.set()
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


def serve_workers(settings: Settings, workers: int) -> None:
    """Run `workers` API processes on settings.host:settings.port, and the supervisor once beside
    them when it is enabled. The workers read their settings from the environment, as this process."""
    env = dict(os.environ)
    supervisor = _SupervisorProcess(env) if settings.supervisor_enabled else None
    os.environ["ENTRYPHONE_SUPERVISOR_ENABLED"] = "false"  # inherited by the workers only
    try:
        uvicorn.run(
            "entryphone.app:create_app",
            factory=True,
            workers=workers,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            # The same redacted logs as a single process (#15 item 3). The request read deadline
            # (cli/serving.py) is a class made per server, which uvicorn cannot hand to its worker
            # processes: with --workers the reverse proxy's timeouts are the deadline.
            log_config=log_config(settings.log_level),
            proxy_headers=False,
        )
    finally:
        if supervisor is not None:
            supervisor.stop()
