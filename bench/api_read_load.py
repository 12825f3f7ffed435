"""The load generator of the api_read benchmark, in its own process so it never competes with the
server for the server's event loop.

Reads a JSON plan on stdin: {"base": url, "concurrency": n, "seconds": s, "max_requests": n,
"warmup_seconds": s, "targets": [{"name", "paths": [...], "headers": [{...}, ...], "status": 200}]}.
For each target in turn: a warm-up (not recorded), then `concurrency` connections (one aiohttp
connector, keep-alive) each sending requests back to back, a random path with a random header set
each time, until `seconds` have passed or `max_requests` were sent. A target with "once": true has
no warm-up and sends each of its paths exactly once, in order (the first read of every object),
however long that takes.
Prints `start <name>` when the measured window opens and one JSON line of results when it closes
(the parent samples CPU there).
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from typing import Any

import aiohttp


async def _window(
    session: aiohttp.ClientSession, base: str, target: dict[str, Any], plan: dict[str, Any], seconds: float
) -> dict[str, Any]:
    chooser = random.Random(target["name"])
    paths: list[str] = target["paths"]
    header_sets: list[dict[str, str]] = target.get("headers") or [{}]
    expected = target.get("status", 200)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    sent = 0
    max_requests = plan.get("max_requests") or 0
    # A "once" target runs until every path was sent, however long that takes on a slow machine
    # (otherwise the objects it did not reach would be first read, uncached, in the next window).
    deadline = float("inf") if target.get("once") else time.perf_counter() + seconds
    byte_count = 0

    once = iter(paths) if target.get("once") else None  # each path exactly once, in order

    async def worker() -> None:
        nonlocal sent, byte_count
        while time.perf_counter() < deadline and (not max_requests or sent < max_requests):
            path = next(once, None) if once is not None else chooser.choice(paths)
            if path is None:
                break
            sent += 1
            url = base + path
            headers = chooser.choice(header_sets)
            started = time.perf_counter()
            async with session.get(url, headers=headers) as reply:
                body = await reply.read()
            latencies.append(time.perf_counter() - started)
            statuses[reply.status] = statuses.get(reply.status, 0) + 1
            byte_count += len(body)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(plan["concurrency"])))
    wall = time.perf_counter() - started
    return {
        "name": target["name"],
        "wall_s": wall,
        "requests": len(latencies),
        "ok": statuses.get(expected, 0),
        "statuses": statuses,
        "mean_bytes": byte_count / max(1, len(latencies)),
        "latencies": latencies,
    }


async def run(plan: dict[str, Any]) -> None:
    connector = aiohttp.TCPConnector(limit=plan["concurrency"], force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()
    ) as session:
        for target in plan["targets"]:
            if plan.get("warmup_seconds") and not target.get("once"):
                await _window(session, plan["base"], target, plan, plan["warmup_seconds"])
            print(f"start {target['name']}", flush=True)
            result = await _window(session, plan["base"], target, plan, plan["seconds"])
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    asyncio.run(run(json.loads(sys.stdin.read())))
