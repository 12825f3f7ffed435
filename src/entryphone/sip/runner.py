"""Run Kamailio in the foreground with the rendered configuration until SIGINT/SIGTERM.

The runner tells the platform when its node starts and stops (node_started / node_stopped on
/internal/sip/events): calls the node routed that are still open when it stops, or when it starts
again after dying, can no longer end by themselves and are closed as failed.
"""

from __future__ import annotations

import base64
import json
import logging
import shutil
import signal
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType

from entryphone.config import Settings
from entryphone.sip.render import SipServer, kamailio_binary, render

log = logging.getLogger(__name__)
STOP_TIMEOUT = 10.0


def report_node(settings: Settings, server: SipServer, event: str) -> bool:
    """Post node_started / node_stopped to the platform; False (logged) when it cannot be reached."""
    body = json.dumps({"event": event, "node": server.node}).encode()
    request = urllib.request.Request(  # noqa: S310 (the configured http:// API URL)
        f"{server.api_url}/internal/sip/events", data=body, method="POST"
    )
    credentials = base64.b64encode(f"kamailio:{settings.resolved_sip_secret()}".encode()).decode()
    request.add_header("Authorization", f"Basic {credentials}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:  # noqa: S310
            return bool(200 <= reply.status < 300)
    except (urllib.error.URLError, OSError) as exc:
        log.warning("could not report %s to the platform: %s", event, exc)
        return False


def write_config(settings: Settings, server: SipServer) -> Path:
    server.rundir.mkdir(parents=True, exist_ok=True)
    path = server.rundir / "kamailio.cfg"
    path.touch(mode=0o600)
    path.chmod(0o600)  # it holds the platform secret
    path.write_text(render(settings, server))
    return path


def new_rundir() -> Path:
    return Path(tempfile.mkdtemp(prefix="entryphone-sip-"))


def command(config: Path, *, memory_mb: int = 64) -> list[str]:
    binary = kamailio_binary() or "kamailio"
    # -DD: stay in the foreground (the main process forks its workers); -E: log to stderr.
    return [binary, "-DD", "-E", "-m", str(memory_mb), "-f", str(config)]


def start(settings: Settings, server: SipServer) -> subprocess.Popen[bytes]:
    """Start Kamailio in the background (the demo); `stop` ends it. Its log goes to rundir/kamailio.log."""
    config = write_config(settings, server)
    with (server.rundir / "kamailio.log").open("ab") as log:
        process = subprocess.Popen(command(config), stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    report_node(settings, server, "node_started")
    return process


def stop(
    settings: Settings, server: SipServer, process: subprocess.Popen[bytes], *, report: bool = True
) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if report:
        report_node(settings, server, "node_stopped")


def run(settings: Settings, server: SipServer, *, remove_rundir: bool = False) -> int:
    """Run until Kamailio exits or a signal asks it to; returns Kamailio's exit status."""
    try:
        return _run(settings, server)
    finally:
        if remove_rundir:
            shutil.rmtree(server.rundir, ignore_errors=True)


def _run(settings: Settings, server: SipServer) -> int:
    config = write_config(settings, server)
    process = subprocess.Popen(command(config))  # noqa: S603 (our own binary path and arguments)

    def forward(signum: int, _frame: FrameType | None) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        report_node(settings, server, "node_started")
        status = process.wait()
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        report_node(settings, server, "node_stopped")
    return status
