"""Capacity of one emulator process: memory and CPU for N devices, each with an open long-poll.

Starts `python -m entryphone.emulator.cli --count N` as a child process, authenticates to every
device with Digest, subscribes to its event log and leaves one /api/log/pull long-poll open per
device; then samples the child's RSS and CPU time (from /proc) while the polls are held. Traffic
goes only to 127.0.0.1; the run is bounded and stops by itself. Prints a table and writes JSON to
bench/results/emulator_capacity.json. Figures are reported, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).parent / "results" / "emulator_capacity.json"
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

    def header(self, path: str) -> str:
        self.count += 1
        nc = f"{self.count:08x}"
        response = self._md5(f"{self.ha1}:{self.fields['nonce']}:{nc}:bench:auth:{self._md5('GET:' + path)}")
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


def spawn_emulator(count: int, https: bool) -> subprocess.Popen[str]:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    command = [sys.executable, "-m", "entryphone.emulator.cli", "--count", str(count), "--port", "0"]
    command += ["--https-port", "0"] if https else ["--no-https"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


async def run(
    child: subprocess.Popen[str], count: int, hold: float, https: bool, started: float
) -> dict[str, Any]:
    assert child.stdout is not None
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
            failed = sum(1 for p in polls if p.done() and p.exception() is not None)
            for poll in polls:
                poll.cancel()
            await asyncio.gather(*polls, return_exceptions=True)
    finally:
        child.terminate()
        child.wait(timeout=30)
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
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--hold", type=float, default=10.0, help="seconds to hold the long-polls open")
    parser.add_argument("--https", action="store_true", help="also give every device an HTTPS listener")
    args = parser.parse_args()
    started = time.monotonic()
    child = spawn_emulator(args.count, args.https)
    result = asyncio.run(run(child, args.count, args.hold, args.https, started))
    table = Table(title=f"entryphone emulator capacity ({args.count} devices, 1 open long-poll each)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in result.items():
        table.add_row(key, str(value))
    Console().print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
