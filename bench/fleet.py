"""Fleet: N emulated 2N panels watched by supervisor processes; card swipes injected at a given rate.

Three processes, measured apart:
- the emulator: `python -m entryphone.emulator.cli --count N --port 0 --no-https` (plain HTTP);
- the supervisor: `python -m entryphone supervisor` (ENTRYPHONE_* environment: a fresh database,
  short lease, 20 s long-poll), optionally under cProfile (`--cprofile FILE`); `--supervisors N`
  starts N of them (PostgreSQL only), which share the fleet through leases as production nodes do;
  their figures are reported per process (`supervisor_1`, ...) and summed (`supervisors_*`);
- this program: seeds one `2n` intercom per panel in a fresh database (SQLite file by default,
  `--backend postgresql` starts a throwaway PostgreSQL, `--database-url` uses an empty one), waits
  until every intercom is online, measures the idle supervisor, then swipes cards
  (POST /_emulator/card, a unique uid each) at `--rate` per second for `--seconds`, spread at random
  over the panels, and reads the journal back.

Latency = device_events.received_at (set by the supervisor when it stores the batch; same machine,
same clock) minus the moment the swipe request was sent. CPU = (user+sys) seconds from
/proc/<pid>/stat over the window's wall seconds, i.e. cores busy; memory = VmRSS. The run is bounded
and stops by itself; traffic goes only to 127.0.0.1.

Run: .venv/bin/python bench/fleet.py [--devices 1000] [--rate 200] [--seconds 30] [--quick]
     [--backend postgresql [--supervisors N]]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
from _common import (
    CpuWindow,
    child_env,
    cpu_seconds,
    fresh_database,
    ms,
    open_fds,
    percentile,
    raise_open_file_limit,
    report,
    rss_mib,
    seed_intercoms,
    settings_for,
    spawn_emulators,
)
from sqlalchemy import func, select

from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.heap import tune_collector
from entryphone.models import Intercom
from entryphone.models.device_event import DeviceEventRecord

UID_BASE = 0xBE00000000


class Journal:
    """Reads what the supervisor stored, through its own small engine."""

    def __init__(self, settings: Settings) -> None:
        self.context = AppContext.build(settings)

    async def online(self) -> int:
        async with self.context.sessions() as session:
            query = select(func.count()).select_from(Intercom).where(Intercom.is_online.is_(True))
            return int((await session.execute(query)).scalar_one())

    async def cards(self) -> int:
        async with self.context.sessions() as session:
            query = (
                select(func.count())
                .select_from(DeviceEventRecord)
                .where(DeviceEventRecord.name == "CardEntered")
            )
            return int((await session.execute(query)).scalar_one())

    async def card_rows(self) -> list[tuple[str, float]]:
        async with self.context.sessions() as session:
            rows = await session.execute(
                select(DeviceEventRecord.params, DeviceEventRecord.received_at).where(
                    DeviceEventRecord.name == "CardEntered"
                )
            )
            return [(str(params.get("uid")), received.timestamp()) for params, received in rows.all()]

    async def duplicates(self) -> int:
        async with self.context.sessions() as session:
            query = (
                select(DeviceEventRecord.intercom_id, DeviceEventRecord.dedupe_key)
                .group_by(DeviceEventRecord.intercom_id, DeviceEventRecord.dedupe_key)
                .having(func.count() > 1)
            )
            return len((await session.execute(query)).all())

    async def close(self) -> None:
        await self.context.close()


def exited(supervisors: list[subprocess.Popen[bytes]]) -> bool:
    return any(supervisor.poll() is not None for supervisor in supervisors)


async def wait_online(
    journal: Journal, supervisors: list[subprocess.Popen[bytes]], count: int, started: float, limit: float
) -> dict[str, float | None]:
    """Seconds from the supervisors' spawn until half, 99% and all intercoms are online."""
    marks: dict[str, float | None] = {"online_50pct_s": None, "online_99pct_s": None, "online_all_s": None}
    deadline = started + limit
    while time.monotonic() < deadline and not exited(supervisors):
        online = await journal.online()
        elapsed = time.monotonic() - started
        for key, share in (("online_50pct_s", 0.5), ("online_99pct_s", 0.99), ("online_all_s", 1.0)):
            if marks[key] is None and online >= count * share:
                marks[key] = round(elapsed, 2)
        if online >= count:
            break
        await asyncio.sleep(0.5)
    marks["online_at_end"] = float(await journal.online())
    return marks


def total_rss(pids: list[int]) -> float:
    return sum(rss_mib(pid) for pid in pids)


async def inject(
    devices: list[dict[str, Any]], rate: float, seconds: float, seed: int, supervisor_pids: list[int]
) -> tuple[dict[str, float], dict[str, Any]]:
    """Swipe a unique card on a random panel every 1/rate s; returns uid -> send time, and figures."""
    rng = random.Random(seed)
    total = int(rate * seconds)
    sent: dict[str, float] = {}
    failures = 0
    round_trips: list[float] = []
    peak_rss = total_rss(supervisor_pids)
    connector = aiohttp.TCPConnector(limit=256)

    async def swipe(session: aiohttp.ClientSession, index: int) -> None:
        nonlocal failures
        device = devices[rng.randrange(len(devices))]
        uid = f"{UID_BASE + index:010X}"
        body = {"uid": uid, "reader": "internal", "direction": "in"}
        moment = time.time()
        began = time.perf_counter()
        try:
            async with session.post(device["control_url"] + "/card", json=body) as reply:
                ok = reply.status == 204
        except (aiohttp.ClientError, TimeoutError):
            ok = False
        if ok:
            sent[uid] = moment
            round_trips.append(time.perf_counter() - began)
        else:
            failures += 1

    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:
        started = time.perf_counter()
        tasks: list[asyncio.Task[None]] = []
        next_sample = started + 1
        for index in range(total):
            due = started + index / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(swipe(session, index)))
            if time.perf_counter() >= next_sample:
                peak_rss = max(peak_rss, total_rss(supervisor_pids))
                next_sample += 1
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    figures = {
        "injected": len(sent),
        "injection_failures": failures,
        "injection_s": elapsed,
        "injected_per_s": len(sent) / elapsed,
        "control_round_trip_p50_ms": ms(percentile(round_trips, 50)),
        "control_round_trip_p99_ms": ms(percentile(round_trips, 99)),
        "supervisor_rss_peak_during_injection_mib": peak_rss,
    }
    return sent, figures


def supervisor_names(supervisors: list[subprocess.Popen[bytes]]) -> dict[str, int]:
    if len(supervisors) == 1:
        return {"supervisor": supervisors[0].pid}
    return {f"supervisor_{index}": process.pid for index, process in enumerate(supervisors, 1)}


def with_sum(figures: dict[str, float], names: dict[str, int]) -> dict[str, float]:
    """Per process, plus `supervisors` (the sum over the supervisor processes) when there are several."""
    if len(names) > 1:
        figures = {**figures, "supervisors": sum(figures[name] for name in names)}
    return figures


async def measure(
    args: argparse.Namespace,
    settings: Settings,
    emulator_pid: int,
    supervisors: list[subprocess.Popen[bytes]],
    devices: list[dict[str, Any]],
    spawned: float,
) -> dict[str, Any]:
    journal = Journal(settings)
    result: dict[str, Any] = {}
    names = supervisor_names(supervisors)
    supervisor_pids = list(names.values())
    try:
        result.update(await wait_online(journal, supervisors, len(devices), spawned, args.online_timeout))
        if exited(supervisors):
            raise RuntimeError("a supervisor exited; see its log")
        pids = {**names, "emulator": emulator_pid}
        result["supervisor_rss_online_mib"] = total_rss(supervisor_pids)
        result["supervisor_cpu_s_until_online"] = sum(cpu_seconds(pid) for pid in supervisor_pids)

        idle = CpuWindow(pids)
        await asyncio.sleep(args.idle)
        result["idle_s"] = args.idle
        result.update(
            {f"{name}_cores_idle": round(v, 3) for name, v in with_sum(idle.cores(), names).items()}
        )
        starved_idle = with_sum(idle.starved(), names)
        result.update({f"{name}_cores_starved_idle": round(v, 3) for name, v in starved_idle.items()})
        result["supervisor_rss_idle_mib"] = total_rss(supervisor_pids)
        result["supervisor_open_fds"] = sum(open_fds(pid) for pid in supervisor_pids)

        # The instrument must not pause inside what it times (a full collection of its own heap
        # took 0.2-0.5 s between taking a swipe's send time and sending it): settled like the
        # processes it measures (entryphone/heap.py).
        gc.collect()
        gc.freeze()
        tune_collector()
        busy = CpuWindow({**pids, "bench": os.getpid()})
        sent, figures = await inject(devices, args.rate, args.seconds, args.seed, supervisor_pids)
        result.update(figures)
        # Drain: the last swipes reach the journal within a pull round trip unless something is wrong.
        deadline = time.monotonic() + args.drain_timeout
        while time.monotonic() < deadline and await journal.cards() < len(sent):  # noqa: ASYNC110
            await asyncio.sleep(0.25)
        busy_cores = with_sum(busy.cores(), names)
        result.update({f"{name}_cores_injecting": round(v, 3) for name, v in busy_cores.items()})
        starved = with_sum(busy.starved(), names)
        result.update({f"{name}_cores_starved_injecting": round(v, 3) for name, v in starved.items()})
        result["load_average_1m_after"] = os.getloadavg()[0]
        result["supervisor_rss_after_mib"] = total_rss(supervisor_pids)

        rows = await journal.card_rows()
        latencies = [received - sent[uid] for uid, received in rows if uid in sent]
        stored = len(latencies)
        first_sent = min(sent.values()) if sent else 0.0
        last_received = max((received for uid, received in rows if uid in sent), default=first_sent)
        # Latency by injection time, in 5 s slices: a backlog that builds up shows as a rising p50.
        slices: dict[int, list[float]] = {}
        for uid, received in rows:
            if uid in sent:
                slices.setdefault(int((sent[uid] - first_sent) // 5), []).append(received - sent[uid])
        result["latency_p50_ms_by_5s_of_injection"] = [
            ms(percentile(slices[index], 50)) for index in sorted(slices)
        ]
        result.update(
            {
                "stored": stored,
                "not_stored_by_drain_end": len(sent) - len({uid for uid, _ in rows if uid in sent}),
                "duplicates": await journal.duplicates(),
                "stored_per_s": stored / max(last_received - first_sent, 1e-6),
                "latency_p50_ms": ms(percentile(latencies, 50)),
                "latency_p90_ms": ms(percentile(latencies, 90)),
                "latency_p99_ms": ms(percentile(latencies, 99)),
                "latency_max_ms": ms(max(latencies, default=float("nan"))),
            }
        )
    finally:
        await journal.close()
    return result


def start_supervisor(
    args: argparse.Namespace, settings: Settings, log: Path, index: int
) -> subprocess.Popen[bytes]:
    command = [sys.executable]
    if args.cprofile:
        profile = Path(args.cprofile).resolve()
        if index > 1:
            profile = profile.with_name(f"{profile.stem}.{index}{profile.suffix}")
        command += ["-m", "cProfile", "-o", str(profile)]
    command += ["-m", "entryphone", "supervisor"]
    env = child_env(
        settings,
        node_id="bench-supervisor" if args.supervisors == 1 else f"bench-supervisor-{index}",
        lease_seconds=args.lease,
        event_pull_wait=args.pull_wait,
    )
    with log.open("wb") as sink:
        return subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run(args: argparse.Namespace) -> dict[str, Any]:
    raise_open_file_limit()
    emulators = spawn_emulators(args.devices, args.profile)
    result: dict[str, Any] = {
        "devices": args.devices,
        "backend": "postgresql" if (args.database_url or "").startswith("postgres") else args.backend,
        "rate_target": args.rate,
        "seconds": args.seconds,
        "lease_seconds": args.lease,
        "pull_wait_seconds": args.pull_wait,
        "supervisors": args.supervisors,
        "emulator_startup_s": round(emulators.startup_s, 2),
    }
    try:
        with fresh_database(args.backend, args.database_url) as (url, workdir):
            settings = settings_for(url, workdir)
            seed_intercoms(settings, emulators.devices)
            logs = [workdir / f"supervisor-{index}.log" for index in range(1, args.supervisors + 1)]
            spawned = time.monotonic()
            supervisors = [start_supervisor(args, settings, log, index) for index, log in enumerate(logs, 1)]
            try:
                result.update(
                    asyncio.run(
                        measure(
                            args, settings, emulators.process.pid, supervisors, emulators.devices, spawned
                        )
                    )
                )
                result["emulator_rss_mib"] = rss_mib(emulators.process.pid)
            finally:
                for supervisor in supervisors:
                    stop(supervisor)
                texts = [log.read_text(errors="replace") for log in logs]
                result["supervisor_log_errors"] = sum(
                    t.count("Traceback") + t.count(" ERROR ") for t in texts
                )
                result["supervisor_log_tail"] = "".join(text[-2000:] for text in texts)
    finally:
        emulators.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=200.0, help="card swipes per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to inject")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--database-url", help="an empty database to migrate and use instead")
    parser.add_argument("--profile", default="2.4x", help="emulated firmware profile")
    parser.add_argument("--lease", type=float, default=6.0, help="ENTRYPHONE_LEASE_SECONDS")
    parser.add_argument("--pull-wait", type=float, default=20.0, help="ENTRYPHONE_EVENT_PULL_WAIT")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle measurement")
    parser.add_argument("--online-timeout", type=float, default=300.0)
    parser.add_argument("--drain-timeout", type=float, default=120.0, help="seconds to wait for the backlog")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--supervisors", type=int, default=1, help="supervisor processes sharing the fleet (PostgreSQL only)"
    )
    parser.add_argument("--cprofile", help="run the supervisor under cProfile, stats to this file")
    parser.add_argument("--name", default="fleet", help="results file name (bench/results/<name>.json)")
    parser.add_argument("--quick", action="store_true", help="200 devices, 100/s for 10 s")
    args = parser.parse_args()
    if args.quick:
        args.devices, args.rate, args.seconds, args.idle = 200, 100.0, 10.0, 3.0
        args.online_timeout, args.drain_timeout = 40.0, 25.0
    if args.supervisors < 1:
        parser.error("--supervisors must be at least 1")
    if (
        args.supervisors > 1
        and args.backend != "postgresql"
        and not (args.database_url or "").startswith("postgres")
    ):
        parser.error("several supervisors share a fleet through PostgreSQL leases; SQLite is single-process")
    result = run(args)
    skip = {"supervisor_log_tail"}
    rows = [(key, f"{value:.3f}" if isinstance(value, float) else value) for key, value in result.items()]
    report(
        args.name,
        f"fleet: {args.devices:,} emulated panels, {args.rate:g} swipes/s for {args.seconds:g} s "
        f"({result['backend']}{f', {args.supervisors} supervisors' if args.supervisors > 1 else ''})",
        ["measure", "value"],
        [row for row in rows if row[0] not in skip],
        result,
    )
    if result["supervisor_log_errors"]:
        print("supervisor log (tail):\n" + result["supervisor_log_tail"], file=sys.stderr)


if __name__ == "__main__":
    main()
