"""API read performance of the deployed node (docs/operations.md): PostgreSQL, `entryphone serve
--workers 2`, the supervisor beside the workers watching `--devices` emulated panels (online before
anything is measured), with a realistic dataset besides (bench/api_read_data.py: 1,000 intercoms
with cameras and streams, matrices, 50 flats each, keys, residents attached to flats), driven by an
aiohttp client in another process (bench/api_read_load.py) with 32 concurrent keep-alive
connections:

- trivial: `GET /healthz` when the app has it, else `GET /api/admin/v1/nothing` (an unauthenticated
  404 through the same middleware and error handler); the table says which;
- admin intercom: `GET /api/admin/v1/intercoms/{id}`, the full admin object, random ids (the
  target row);
- admin list: `GET /api/admin/v1/intercoms` (first page, 25 full objects) and a random page;
- client list: `GET /api/v1/intercom` with a random bench resident's token, X-Client: web, X-UUID.

Reports req/s, p50/p99 latency, the CPU of the node (serve, workers, supervisor) and of the load
generator, and the full object's rate as a share of the trivial endpoint's (target >= 0.5x, p99 <
50 ms). Figures only, never asserted.

`--profile` adds a diagnostic pass (not the figures): one app process (bench/api_read_server.py,
no supervisor) counts SQL statements per request (sent one at a time) and runs under cProfile while
the admin intercom endpoint is driven; the top functions go to
bench/results/api_read_profile_<backend>.txt.

Run: .venv/bin/python bench/api_read.py [--quick] [--devices 100] [--seconds 15]
     [--backend postgresql|sqlite] [--database-url postgresql+asyncpg://...] [--profile]
"""

from __future__ import annotations

import argparse
import io
import json
import pstats
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _common import (
    RESULTS,
    ROOT,
    child_env,
    console,
    cpu_seconds,
    deployed_node,
    free_port,
    fresh_database,
    ms,
    percentile,
    report,
    seed_intercoms,
    settings_for,
    spawn_emulators,
    wait_online,
)
from api_read_data import Dataset, seed

BENCH = Path(__file__).resolve().parent
console.width = max(console.width, 150)  # the table has ten columns; keep it readable when piped
CONCURRENCY = 32
ADMIN = "/api/admin/v1"
TARGET_SHARE = 0.5
DETAIL = "admin: GET /intercoms/{id}"
TARGET_P99_MS = 50.0


# -- the server ------------------------------------------------------------------------------------


def _get(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {}, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310 - loopback only
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@contextmanager
def server(url: str, data_dir: Path, *extra: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """One app process (the profiling pass only) on a free loopback port; stopped with SIGINT
    (graceful shutdown, which also lets cProfile write its stats)."""
    port = free_port()
    env = child_env(settings_for(url, data_dir), supervisor_enabled="false")
    command = [sys.executable, str(BENCH / "api_read_server.py"), "--port", str(port), *extra]
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            _get(base + "/api/admin/v1/nothing")
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("the server did not start") from None
            time.sleep(0.1)
    try:
        yield base, process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def trivial_target(base: str) -> dict[str, Any]:
    status, _ = _get(base + "/healthz")
    if status == 200:
        return {"name": "trivial: GET /healthz", "paths": ["/healthz"], "status": 200}
    path = f"{ADMIN}/nothing"
    return {"name": f"trivial: GET {path} (404)", "paths": [path], "status": 404}


def targets(base: str, dataset: Dataset) -> list[dict[str, Any]]:
    admin = [{"Authorization": f"Bearer {dataset.admin_token}"}]
    residents = [
        {"Authorization": f"Bearer {person.token}", "X-Client": "web", "X-UUID": person.uuid}
        for person in dataset.residents
    ]
    chooser = random.Random(1)
    ids = list(dataset.intercom_ids)
    pages = max(1, -(-len(ids) // 25))
    return [
        trivial_target(base),
        {
            "name": DETAIL,
            "paths": [f"{ADMIN}/intercoms/{i}" for i in chooser.sample(ids, min(len(ids), 1000))],
            "headers": admin,
        },
        {"name": "admin: GET /intercoms (page 1)", "paths": [f"{ADMIN}/intercoms"], "headers": admin},
        {
            "name": "admin: GET /intercoms?page=N",
            "paths": [f"{ADMIN}/intercoms?page={page}" for page in range(1, pages + 1)],
            "headers": admin,
        },
        {"name": "client: GET /api/v1/intercom", "paths": ["/api/v1/intercom"], "headers": residents},
    ]


# -- the load --------------------------------------------------------------------------------------


def drive(plan: dict[str, Any], server_pids: list[int]) -> list[dict[str, Any]]:
    """Run the load generator; sample the server's processes' CPU (summed) and the generator's
    around each measured window."""

    def server_cpu() -> float:
        return sum(cpu_seconds(pid) for pid in server_pids)

    load = subprocess.Popen(
        [sys.executable, str(BENCH / "api_read_load.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert load.stdin is not None and load.stdout is not None
    load.stdin.write(json.dumps(plan))
    load.stdin.close()
    results: list[dict[str, Any]] = []
    marks: tuple[float, float, float] = (0.0, 0.0, 0.0)
    for line in load.stdout:
        if line.startswith("start "):
            marks = (time.monotonic(), server_cpu(), cpu_seconds(load.pid))
            continue
        result = json.loads(line)
        wall = time.monotonic() - marks[0]
        result["server_cores"] = (server_cpu() - marks[1]) / wall
        result["load_cores"] = (cpu_seconds(load.pid) - marks[2]) / wall
        results.append(result)
    if load.wait() != 0:
        raise RuntimeError("the load generator failed")
    return results


def summarize(result: dict[str, Any]) -> dict[str, Any]:
    latencies = result.pop("latencies")
    return {
        **result,
        "rps": round(result["requests"] / result["wall_s"], 1),
        "p50_ms": ms(percentile(latencies, 50)),
        "p90_ms": ms(percentile(latencies, 90)),
        "p99_ms": ms(percentile(latencies, 99)),
        "max_ms": ms(max(latencies)) if latencies else None,
        "server_cores": round(result["server_cores"], 2),
        "load_cores": round(result["load_cores"], 2),
    }


# -- the profiling pass ----------------------------------------------------------------------------


def count_queries(base: str, target: dict[str, Any], samples: int) -> dict[str, Any]:
    """Statements per request, requests sent one at a time (the counter is process-wide)."""
    chooser = random.Random(3)
    per_request: list[int] = []
    example: list[str] = []
    for _ in range(samples):
        _get(base + "/__bench/queries", method="POST")
        status, _ = _get(
            base + chooser.choice(target["paths"]), chooser.choice(target.get("headers") or [{}])
        )
        counted = json.loads(_get(base + "/__bench/queries")[1])
        per_request.append(counted["count"])
        example = counted["statements"]
    return {
        "status": status,
        "min": min(per_request),
        "max": max(per_request),
        "mean": round(sum(per_request) / len(per_request), 2),
        "statements_of_last": example,
    }


def profile_pass(backend: str, url: str, data_dir: Path, dataset: Dataset, seconds: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with server(url, data_dir, "--count-queries") as (base, _process):
        for target in targets(base, dataset):
            out[target["name"]] = count_queries(base, target, samples=20)
    prof = Path(tempfile.gettempdir()) / f"api_read_{backend}.prof"
    with server(url, data_dir, "--profile", str(prof)) as (base, process):
        detail = next(target for target in targets(base, dataset) if target["name"] == DETAIL)
        plan = {"base": base, "concurrency": CONCURRENCY, "seconds": seconds, "targets": [detail]}
        measured = summarize(drive(plan, [process.pid])[0])
    time.sleep(0.5)
    text = io.StringIO()
    stats = pstats.Stats(str(prof), stream=text)
    stats.strip_dirs().sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(40)
    listing = RESULTS / f"api_read_profile_{backend}.txt"
    RESULTS.mkdir(parents=True, exist_ok=True)
    listing.write_text(
        f"cProfile of the server while {detail['name']} was driven for {seconds}s "
        f"({measured['requests']} requests, {measured['rps']} req/s under the profiler)\n"
        + json.dumps(
            {name: {k: v for k, v in q.items() if k != "statements_of_last"} for name, q in out.items()},
            indent=1,
        )
        + "\n\nStatements of one GET /intercoms/{id}:\n"
        + "\n".join(out[detail["name"]]["statements_of_last"])
        + "\n\n"
        + text.getvalue()
    )
    console.print(f"[dim]profile: {prof} and {listing.relative_to(ROOT)}[/]")
    return {"queries_per_request": out, "profiled_run": measured, "stats_file": str(prof)}


# -- main ------------------------------------------------------------------------------------------


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    database_url = args.database_url if backend == "postgresql" else None
    with fresh_database(backend, database_url) as (url, data_dir):
        console.print(f"[bold]{backend}[/]: seeding {args.intercoms} intercoms ...")
        settings = settings_for(url, data_dir)
        dataset = seed(settings, args.intercoms, args.flats, args.residents)
        console.print(f"  seeded in {dataset.seed_seconds:.1f}s: {dataset.counts}")
        emulators = spawn_emulators(args.devices, "2.4x")
        try:
            seed_intercoms(settings, emulators.devices)
            with deployed_node(settings, workers=args.workers) as node:
                online_s = wait_online(settings, args.devices)
                console.print(f"  {args.devices} panels online after {online_s:.1f}s")
                processes = node.processes()
                plan = {
                    "base": node.url,
                    "concurrency": CONCURRENCY,
                    "seconds": args.seconds,
                    "warmup_seconds": args.warmup,
                    "targets": targets(node.url, dataset),
                }
                pids = [pid for name, pid in processes.items() if name != "postgresql"]
                results = [summarize(result) for result in drive(plan, pids)]
        finally:
            emulators.stop()
        outcome: dict[str, Any] = {
            "backend": backend,
            "workers": args.workers,
            "panels_online": args.devices,
            "dataset": dataset.counts,
            "seed_seconds": round(dataset.seed_seconds, 1),
            "results": results,
        }
        if args.profile:
            outcome["profile"] = profile_pass(backend, url, data_dir, dataset, args.seconds)
        return outcome


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small dataset, short windows (under a minute)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--devices", type=int, default=None, help="emulated panels online (100)")
    parser.add_argument("--workers", type=int, default=2, help="serve --workers")
    parser.add_argument("--seconds", type=float, default=None, help="measured seconds per endpoint")
    parser.add_argument("--database-url", default=None, help="an existing, empty PostgreSQL database")
    parser.add_argument("--profile", action="store_true", help="also count queries and run under cProfile")
    args = parser.parse_args()
    args.intercoms = 20 if args.quick else 1000
    args.flats = 50
    args.residents = 4 if args.quick else 32
    args.seconds = args.seconds or (2.0 if args.quick else 15.0)
    args.warmup = 0.3 if args.quick else 2.0
    args.devices = args.devices or (10 if args.quick else 100)

    outcomes = [run_backend(args.backend, args)]

    rows = []
    for outcome in outcomes:
        trivial = outcome["results"][0]
        for result in outcome["results"]:
            share = result["rps"] / trivial["rps"] if trivial["rps"] else 0.0
            result["share_of_trivial"] = round(share, 2)
            meets = ""
            if result["name"] == DETAIL:
                meets = "yes" if share >= TARGET_SHARE and result["p99_ms"] < TARGET_P99_MS else "NO"
            rows.append(
                [
                    f"{outcome['backend']}: {result['name']}",
                    result["rps"],
                    f"{share:.2f}x",
                    result["p50_ms"],
                    result["p99_ms"],
                    f"{result['ok']}/{result['requests']}",
                    f"{result['mean_bytes'] / 1024:.1f}",
                    result["server_cores"],
                    result["load_cores"],
                    meets,
                ]
            )
    intercoms = outcomes[0]["dataset"]["intercoms"]
    report(
        "api_read_quick" if args.quick else "api_read",  # a quick run never overwrites full figures
        f"API reads: {intercoms} intercoms, serve --workers {args.workers} + supervisor with "
        f"{args.devices} panels online, {CONCURRENCY} connections, {args.seconds:g}s per endpoint "
        f"(target: full object >= {TARGET_SHARE}x trivial, p99 < {TARGET_P99_MS:g} ms)",
        [
            "endpoint",
            "req/s",
            "vs trivial",
            "p50 ms",
            "p99 ms",
            "ok/sent",
            "KiB/reply",
            "server cores",
            "load cores",
            "target met",
        ],
        rows,
        {"concurrency": CONCURRENCY, "seconds": args.seconds, "quick": args.quick, "backends": outcomes},
    )


if __name__ == "__main__":
    main()
