"""The routing endpoint alone: `POST /internal/sip/route` as Kamailio sends it, against one API node
(`entryphone serve`) over a seeded database (the panels, flats and phones of bench/calls.py).

Sequential requests on one keep-alive connection, a new Call-ID each (every request records a call,
as a panel's INVITE does). Figures: latency p50/p99 seen by the client, and the API process's CPU
per request (from /proc: less noisy than latency on a shared machine). `--profile FILE` runs the
API under cProfile (stats for `python -m pstats FILE`) or pyinstrument (a text call tree).

Run: .venv/bin/python bench/sip_route.py [--backend sqlite|postgresql] [--endpoints 200] [--requests 500]
     [--profile FILE [--profiler cprofile|pyinstrument]]
Figures only, never asserted.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from _common import (
    child_env,
    console,
    cpu_seconds,
    free_port,
    fresh_database,
    percentile,
    report,
    settings_for,
)
from calls import DOMAIN, api_up, process, seed, wait_until

# uvicorn re-raises SIGTERM once it has shut down, so `python -m cProfile` never writes its file:
# the stats are written by our own SIGTERM handler (uvicorn restores it before re-raising).
# pyinstrument (not a dependency: `pip install pyinstrument` in the venv) follows coroutines better.
PROFILED = """
import runpy, signal, sys
kind, path = sys.argv.pop(1), sys.argv.pop(1)
if kind == "pyinstrument":
    from pyinstrument import Profiler
    profile = Profiler(interval=0.0002)
    def write():
        with open(path, "w") as out:
            out.write(profile.output_text(unicode=False, color=False))
else:
    import cProfile
    profile = cProfile.Profile()
    def write():
        profile.dump_stats(path)
def stop(_signum, _frame):
    profile.stop() if kind == "pyinstrument" else profile.disable()
    write()
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
sys.argv[0] = "entryphone"
profile.start() if kind == "pyinstrument" else profile.enable()
runpy.run_module("entryphone", run_name="__main__")
"""


def run(args: argparse.Namespace) -> dict[str, Any]:
    with fresh_database(args.backend, args.database_url) as (url, workdir):
        console.print(f"seeding {args.endpoints} endpoints on {args.backend}")
        settings = settings_for(url, workdir)
        _endpoints, targets = seed(settings, args.endpoints)
        port = free_port()
        env = child_env(settings, port=port, supervisor_enabled="false", sip_domain=DOMAIN)
        serve = [sys.executable, "-m", "entryphone", "serve", "--port", str(port)]
        if args.profile:
            serve[1:3] = ["-c", PROFILED, args.profiler, str(Path(args.profile).resolve())]
        base = f"http://127.0.0.1:{port}"
        secret = settings.resolved_sip_secret()
        with (
            process(serve, env, workdir / "api.log") as api,
            httpx.Client(base_url=base, auth=("kamailio", secret), timeout=30) as client,
        ):
            wait_until(lambda: api_up(base), "the API", api)

            def one() -> float:
                panel, _password, flat = random.choice(targets)
                body = {"panel": panel, "number": str(flat), "call_id": uuid.uuid4().hex, "node": "bench"}
                started = time.perf_counter()
                reply = client.post("/internal/sip/route", json=body)
                elapsed = time.perf_counter() - started
                if reply.status_code != 200 or reply.json()["code"] != 200:
                    raise RuntimeError(f"routing failed: {reply.status_code} {reply.text[:200]}")
                return elapsed

            for _ in range(args.warmup):
                one()
            cpu_before = cpu_seconds(api.pid)
            latencies = [one() for _ in range(args.requests)]
            cpu_used = cpu_seconds(api.pid) - cpu_before
    return {
        "backend": args.backend,
        "endpoints": args.endpoints,
        "requests": args.requests,
        "latency_ms": {
            "p50": round(percentile(latencies, 50) * 1000, 2),
            "p99": round(percentile(latencies, 99) * 1000, 2),
        },
        "api_cpu_ms_per_request": round(cpu_used / args.requests * 1000, 2),
        "profile": args.profile,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", default=None, help="an existing, empty database (migrated here)")
    parser.add_argument("--endpoints", type=int, default=200)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--profile", default=None, help="profile the API, writing to this file")
    parser.add_argument("--profiler", choices=("cprofile", "pyinstrument"), default="cprofile")
    args = parser.parse_args()
    result = run(args)
    rows = [
        ["requests", result["requests"]],
        [
            "latency p50 / p99 (target p99 < 10 ms)",
            f"{result['latency_ms']['p50']} / {result['latency_ms']['p99']} ms",
        ],
        ["API CPU per request", f"{result['api_cpu_ms_per_request']} ms"],
    ]
    title = f"routing endpoint: {args.endpoints} endpoints, {args.requests} requests, {args.backend}"
    report("sip_route", title, ["figure", "value"], rows, result)


if __name__ == "__main__":
    main()
