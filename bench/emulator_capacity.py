"""Capacity of one emulator process: memory and CPU for N devices, each with an open long-poll.

Starts `python -m entryphone.emulator.cli --count N` as a child process, authenticates to every
device with Digest, subscribes to its event log and leaves one /api/log/pull long-poll open per
device; then samples the child's RSS and CPU time (from /proc) while the polls are held. Traffic
goes only to 127.0.0.1; the run is bounded and stops by itself. Prints a table and writes JSON to
bench/results/emulator_capacity.json. Figures are reported, never asserted.

With --sip, a Kamailio (the test suite's registrar configuration) is started first and every
panel is given a SIP account through its own /api/config (number 70000+i, Digest password), as
an installer or the platform would; the run then waits until Kamailio holds every binding, holds
them through the long-polls (REGISTER refreshes included when --sip-expires is short), and counts
the bindings left once the emulator has stopped (each panel unregisters on shutdown).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).parent / "results" / "emulator_capacity.json"
ROOT = Path(__file__).resolve().parents[1]
SIP_PASSWORD = "bench-panel-secret"
SIP_NUMBER_BASE = 70_000
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class Digest:
    """Just enough RFC 2617 client for the bench: one nonce per device, counting requests."""

    def __init__(self, challenge: str, user: str, password: str) -> None:
        self.fields = dict(re.findall(r'(\w+)="?([^",]+)"?', challenge))
        self.ha1 = self._md5(f"{user}:{self.fields['realm']}:{password}")
        self.user = user
        self.count = 0

    @staticmethod
    def _md5(text: str) -> str:
        return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()

    def header(self, path: str, method: str = "GET") -> str:
        self.count += 1
        nc = f"{self.count:08x}"
        response = self._md5(
            f"{self.ha1}:{self.fields['nonce']}:{nc}:bench:auth:{self._md5(method + ':' + path)}"
        )
        return (
            f'Digest username="{self.user}", realm="{self.fields["realm"]}", nonce="{self.fields["nonce"]}", '
            f'uri="{path}", qop=auth, nc={nc}, cnonce="bench", response="{response}", '
            f'opaque="{self.fields["opaque"]}"'
        )


class Countdown:
    def __init__(self, count: int) -> None:
        self.left = count
        self.done = asyncio.Event()

    def tick(self) -> None:
        self.left -= 1
        if self.left <= 0:
            self.done.set()


async def open_long_poll(
    session: aiohttp.ClientSession,
    device: dict[str, Any],
    hold: float,
    gate: asyncio.Semaphore,
    ready: Countdown,
) -> None:
    base = device["url"]
    async with gate:  # pace the set-up requests; the held pulls are not limited
        async with session.get(base + "/api/log/subscribe") as response:
            digest = Digest(response.headers["WWW-Authenticate"], device["login"], device["password"])
        path = "/api/log/subscribe?include=all"
        async with session.get(base + path, headers={"Authorization": digest.header(path)}) as response:
            channel = (await response.json())["result"]["id"]
        path = f"/api/log/pull?id={channel}&timeout=0"
        async with session.get(base + path, headers={"Authorization": digest.header(path)}) as response:
            await response.read()  # drain the startup events so the next pull waits
    ready.tick()
    path = f"/api/log/pull?id={channel}&timeout={int(hold) + 30}"
    async with session.get(base + path, headers={"Authorization": digest.header(path)}) as response:
        await response.read()


async def provision_sip(
    session: aiohttp.ClientSession, device: dict[str, Any], index: int, registrar: str, expires: int
) -> None:
    """Download the panel's configuration, set SIP account 1, upload it (the manual's /api/config)."""
    import xml.etree.ElementTree as ET

    base = device["url"]
    async with session.get(base + "/api/config") as response:
        digest = Digest(response.headers["WWW-Authenticate"], device["login"], device["password"])
    async with session.get(
        base + "/api/config", headers={"Authorization": digest.header("/api/config")}
    ) as r:
        root = ET.fromstring(await r.read())  # noqa: S314 - the emulator's own reply
    account = root.find("Config/sip/item")
    assert account is not None
    values = {
        "number": str(SIP_NUMBER_BASE + index),
        "domain": "intercom.test",
        "registrar": registrar,
        "password": SIP_PASSWORD,
        "enabled": "1",
        "expires": str(expires),
    }
    for name, value in values.items():
        node = account.find(name)
        assert node is not None, name
        node.text = value
    form = aiohttp.FormData()
    form.add_field("blob-cfg", ET.tostring(root), filename="config.xml", content_type="application/xml")
    headers = {"Authorization": digest.header("/api/config", "PUT")}
    async with session.put(base + "/api/config", data=form, headers=headers) as response:
        assert (await response.json())["success"], await response.text()


def spawn_emulator(count: int, https: bool) -> subprocess.Popen[str]:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    command = [sys.executable, "-m", "entryphone.emulator.cli", "--count", str(count), "--port", "0"]
    command += ["--https-port", "0"] if https else ["--no-https"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


async def run(
    child: subprocess.Popen[str],
    count: int,
    hold: float,
    https: bool,
    started: float,
    kamailio: Any = None,
    sip_expires: int = 300,
) -> dict[str, Any]:
    assert child.stdout is not None
    sip: dict[str, Any] = {}
    try:
        devices = []
        loop = asyncio.get_running_loop()
        for _ in range(count):
            line = await loop.run_in_executor(None, child.stdout.readline)
            devices.append(json.loads(line))
        startup = time.monotonic() - started
        idle_rss, idle_cpu = rss_mib(child.pid), cpu_seconds(child.pid)
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=None)
        ) as session:
            if kamailio is not None:
                sip = await register_all(session, devices, kamailio, child.pid, sip_expires)
            gate = asyncio.Semaphore(200)
            ready = Countdown(count)
            setup_started = time.monotonic()
            polls = [asyncio.ensure_future(open_long_poll(session, d, hold, gate, ready)) for d in devices]
            await asyncio.wait_for(ready.done.wait(), timeout=300)
            await asyncio.sleep(1.0)  # the last pulls reach the emulator
            setup = time.monotonic() - setup_started
            cpu_before_hold = cpu_seconds(child.pid)
            await asyncio.sleep(hold)
            held_rss, held_cpu = rss_mib(child.pid), cpu_seconds(child.pid)
            if kamailio is not None:
                sip["registered_after_hold"] = await kamailio.registered_users()
            failed = sum(1 for p in polls if p.done() and p.exception() is not None)
            for poll in polls:
                poll.cancel()
            await asyncio.gather(*polls, return_exceptions=True)
    finally:
        child.terminate()
        child.wait(timeout=60)
    if kamailio is not None:
        sip["bindings_left_after_stop"] = await kamailio.registered_users()
    return {
        "devices": count,
        "https": https,
        "startup_s": round(startup, 2),
        "idle_rss_mib": round(idle_rss, 1),
        "idle_cpu_s": round(idle_cpu, 2),
        "long_poll_setup_s": round(setup, 2),
        "rss_with_long_polls_mib": round(held_rss, 1),
        "rss_per_device_kib": round(held_rss * 1024 / count, 1),
        "hold_s": hold,
        "cpu_during_hold_s": round(held_cpu - cpu_before_hold, 2),
        "failed_polls": failed,
        **sip,
    }


async def register_all(
    session: aiohttp.ClientSession, devices: list[dict[str, Any]], kamailio: Any, pid: int, expires: int
) -> dict[str, Any]:
    rss_before = rss_mib(pid)
    began = time.monotonic()
    gate = asyncio.Semaphore(50)
    registrar = f"127.0.0.1:{kamailio.port}"

    async def one(index: int, device: dict[str, Any]) -> None:
        async with gate:
            await provision_sip(session, device, index, registrar, expires)

    await asyncio.gather(*(one(i, d) for i, d in enumerate(devices)))
    provisioned = time.monotonic() - began
    registered = 0
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        registered = await kamailio.registered_users()
        if registered >= len(devices):
            break
        await asyncio.sleep(0.5)
    elapsed = time.monotonic() - began
    rss_after = rss_mib(pid)
    return {
        "sip_provisioning_s": round(provisioned, 2),
        "sip_all_registered_s": round(elapsed, 2),
        "sip_registered": registered,
        "sip_expires_s": expires,
        "rss_before_sip_mib": round(rss_before, 1),
        "rss_registered_mib": round(rss_after, 1),
        "sip_rss_per_panel_kib": round((rss_after - rss_before) * 1024 / len(devices), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--hold", type=float, default=10.0, help="seconds to hold the long-polls open")
    parser.add_argument("--https", action="store_true", help="also give every device an HTTPS listener")
    parser.add_argument("--sip", action="store_true", help="register every panel with a local Kamailio")
    parser.add_argument("--sip-expires", type=int, default=300, help="REGISTER expiry the panels ask for")
    args = parser.parse_args()
    result = asyncio.run(measure(args))
    title = f"entryphone emulator capacity ({args.count} devices, 1 open long-poll each"
    table = Table(title=title + (", all registered over SIP)" if args.sip else ")"))
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in result.items():
        table.add_row(key, str(value))
    Console().print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    kamailio = None
    if args.sip:
        sys.path.insert(0, str(ROOT))  # the test suite's Kamailio harness, reused rather than copied
        import tempfile

        from tests.emulator.sip.lab import Kamailio  # type: ignore[import-not-found]

        workdir = Path(tempfile.mkdtemp(prefix="entryphone-bench-kamailio-"))
        kamailio = Kamailio(workdir, {}, numbered_password=SIP_PASSWORD, memory_mb=128)
        await kamailio.start()
    try:
        started = time.monotonic()
        child = spawn_emulator(args.count, args.https)
        return await run(child, args.count, args.hold, args.https, started, kamailio, args.sip_expires)
    finally:
        if kamailio is not None:
            await kamailio.stop()
            shutil.rmtree(kamailio.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
