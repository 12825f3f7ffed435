"""City: one city's peak on one node, every path at once, in the deployed configuration.

The node is what docs/operations.md deploys: PostgreSQL, `entryphone serve --workers 2`, the fleet
supervisor beside the workers watching every emulated panel. Processes: the emulator
(`python -m entryphone.emulator.cli --count N`, plain HTTP), the node (serve parent, workers,
supervisor), PostgreSQL (a throwaway cluster, or `--database-url`), and this program, which offers
for `--duration` seconds, all at once and open-loop (arrivals on a schedule, never waiting for
answers):

- events: card swipes on random panels (the emulator's POST /_emulator/card, a unique uid each)
  at `--event-rate`;
  latency = device_events.received_at (set when the supervisor stores it) minus the send time;
- home screen: `GET /api/v1/intercom` (a random resident's token, X-Client, X-UUID) at `--home-rate`;
- door open: `POST /api/v1/intercom/{id}/open-door` by a random resident at `--door-rate`
  (204 = the panel confirmed its switch); and, at the same rate, the same 2N switch command sent
  straight to panels no resident uses (the panel's own time: door-open overhead = the difference);
- admin reads: `GET /api/admin/v1/intercoms/{id}` and the first page of `GET /api/admin/v1/intercoms`
  alternately at `--admin-rate`;
- billing writes: `PATCH /api/v1/billing/intercoms` (a new title for a random intercom) at
  `--billing-rate`.

Prints per path: offered and achieved req/s, ok, errors, p50/p99/max latency; and the CPU (cores
busy) of every process over the measured window. Writes JSON to bench/results/<--name>.json.
Targets (issue #16): every API path p99 < 100 ms, door-open overhead over the panel p99 < 30 ms,
event -> journal p99 < 250 ms, no errors.
Figures only, never asserted.

Run: .venv/bin/python bench/city.py [--devices 2000] [--duration 60] [--backend postgresql]
     (a quick check: --devices 20 --duration 5)
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from _common import (
    CpuWindow,
    cpu_seconds,
    deployed_node,
    fresh_database,
    in_session,
    ms,
    percentile,
    raise_open_file_limit,
    report,
    seed_intercoms,
    settings_for,
    spawn_emulators,
    tree_cpu_seconds,
    wait_online,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.accounts import service as accounts
from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.flats import service as flats
from entryphone.helios import Credentials, HeliosClient
from entryphone.helios.api.switch import SwitchAction
from entryphone.models import Intercom, Role
from entryphone.models.device_event import DeviceEventRecord

FLATS = 4  # per intercom that has residents
MAX_IN_FLIGHT = 2000  # an arrival beyond this many unanswered requests counts as an error


@dataclass(frozen=True)
class Resident:
    token: str
    intercom_id: int
    uuid: str


@dataclass(frozen=True)
class City:
    intercom_ids: list[int]
    residents: list[Resident]
    admin_token: str
    billing_token: str


def seed(settings: Settings, devices: list[dict[str, Any]], residents: int) -> City:
    """One `2n` intercom per panel; `residents` residents, each on a flat (allowed to open the door
    from the app) of an intercom, spread over the first intercoms; an admin and a billing account."""
    ids = seed_intercoms(settings, devices)

    async def work(session: AsyncSession, _context: AppContext) -> City:
        homes = ids[: max(1, min(len(ids), residents // 2))]
        for intercom_id in homes:
            intercom = await session.get(Intercom, intercom_id)
            assert intercom is not None
            await flats.sync_flat_range(session, intercom, 1, FLATS)
        people = []
        for index in range(residents):
            intercom_id = homes[index % len(homes)]
            account = await accounts.create_account(
                session, login=f"city-resident-{index}", password="city-pass", role=Role.resident
            )
            token = (await accounts.issue_token(session, account, name="city")).token
            flat = await flats.get_flat_by_number(session, intercom_id, index // len(homes) % FLATS + 1)
            await flats.attach_resident(
                session, flat, account.id, permissions=flats.Permissions(is_open_door_app=True)
            )
            people.append(Resident(token, intercom_id, f"city-phone-{index}"))
        tokens = []
        for role in (Role.admin, Role.billing):
            account = await accounts.create_account(
                session, login=f"city-{role.value}", password="city-pass", role=role
            )
            tokens.append((await accounts.issue_token(session, account, name="city")).token)
        return City(ids, people, tokens[0], tokens[1])

    return in_session(settings, work)


@dataclass
class Path:
    name: str
    rate: float
    latencies: list[float] = field(default_factory=list)
    ok: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def fail(self, reason: str) -> None:
        self.errors[reason] = self.errors.get(reason, 0) + 1


async def offer(path: Path, duration: float, call: Callable[[int], Awaitable[bool]]) -> None:
    """Arrivals every 1/rate seconds for `duration` (open loop): each runs on its own."""
    if path.rate <= 0:
        return
    pending: set[asyncio.Task[None]] = set()
    start = time.monotonic()

    async def one(number: int) -> None:
        sent = time.monotonic()
        try:
            good = await call(number)
        except Exception as exc:  # any transport failure is an error of this path, by kind
            path.fail(type(exc).__name__)
            return
        if good:
            path.ok += 1
            path.latencies.append(time.monotonic() - sent)

    for number in itertools.count():
        due = start + number / path.rate
        if due - start >= duration:
            break
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        if len(pending) >= MAX_IN_FLIGHT:
            path.fail("too many in flight")
            continue
        task = asyncio.create_task(one(number))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending)


async def drive(
    args: argparse.Namespace, url: str, devices: list[dict[str, Any]], city: City
) -> dict[str, Any]:
    rng = random.Random(16)
    paths = {
        "events": Path("events: card swipe -> journal", args.event_rate),
        "home": Path("home screen: GET /api/v1/intercom", args.home_rate),
        "door": Path("door open: POST /api/v1/intercom/{id}/open-door", args.door_rate),
        "panel": Path("panel alone: 2N switch/ctrl trigger, direct", args.door_rate),
        "admin": Path("admin reads: GET /intercoms/{id}, GET /intercoms", args.admin_rate),
        "billing": Path("billing writes: PATCH /api/v1/billing/intercoms", args.billing_rate),
    }
    swipes: dict[str, float] = {}  # uid -> wall-clock time it was sent
    run = f"{os.getpid() % 4096:03X}"
    admin = {"Authorization": f"Bearer {city.admin_token}"}
    billing = {"Authorization": f"Bearer {city.billing_token}"}

    def resident_headers(resident: Resident) -> dict[str, str]:
        return {"Authorization": f"Bearer {resident.token}", "X-Client": "web", "X-UUID": resident.uuid}

    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as http:

        async def status(method: str, target: str, expect: int, path: Path, **kwargs: Any) -> bool:
            async with http.request(method, target, **kwargs) as reply:
                await reply.read()
                if reply.status != expect:
                    path.fail(str(reply.status))
                    return False
                return True

        async def event(number: int) -> bool:
            device = devices[rng.randrange(len(devices))]
            uid = f"C{run}{number:07X}"
            swipes[uid] = time.time()
            body = {"uid": uid, "reader": "internal", "direction": "in"}
            return await status("POST", f"{device['control_url']}/card", 204, paths["events"], json=body)

        async def home(_number: int) -> bool:
            resident = city.residents[rng.randrange(len(city.residents))]
            return await status(
                "GET", f"{url}/api/v1/intercom", 200, paths["home"], headers=resident_headers(resident)
            )

        async def door(_number: int) -> bool:
            resident = city.residents[rng.randrange(len(city.residents))]
            target = f"{url}/api/v1/intercom/{resident.intercom_id}/open-door"
            return await status("POST", target, 204, paths["door"], headers=resident_headers(resident))

        used = {resident.intercom_id for resident in city.residents}
        spare = [d for i, d in zip(city.intercom_ids, devices, strict=True) if i not in used] or devices
        panels = [
            HeliosClient(
                http,
                "127.0.0.1",
                port=int(d["url"].rsplit(":", 1)[1]),
                credentials=Credentials(d["login"], d["password"]),
                timeout=30,
            )
            for d in spare
        ]

        async def panel(_number: int) -> bool:
            await panels[rng.randrange(len(panels))].switch.ctrl(1, SwitchAction.TRIGGER)
            return True

        async def admin_read(number: int) -> bool:
            if number % 2:
                return await status(
                    "GET", f"{url}/api/admin/v1/intercoms", 200, paths["admin"], headers=admin
                )
            target = f"{url}/api/admin/v1/intercoms/{rng.choice(city.intercom_ids)}"
            return await status("GET", target, 200, paths["admin"], headers=admin)

        async def billing_write(number: int) -> bool:
            body = {"id": rng.choice(city.intercom_ids), "title": f"City entrance {number}"}
            target = f"{url}/api/v1/billing/intercoms"
            return await status("PATCH", target, 200, paths["billing"], headers=billing, json=body)

        calls: dict[str, Callable[[int], Awaitable[bool]]] = {
            "events": event,
            "home": home,
            "door": door,
            "panel": panel,
            "admin": admin_read,
            "billing": billing_write,
        }
        # Warm-up, not measured: connections, Digest nonces toward the panels, the first requests.
        warm = {key: Path(path.name, path.rate) for key, path in paths.items() if key != "events"}
        await asyncio.gather(*(offer(warm[key], args.warmup, calls[key]) for key in warm if args.warmup > 0))
        started = time.monotonic()
        await asyncio.gather(*(offer(paths[key], args.duration, calls[key]) for key in paths))
        elapsed = time.monotonic() - started
    return {"paths": paths, "swipes": swipes, "elapsed": elapsed}


def journal_latencies(settings: Settings, swipes: dict[str, float]) -> tuple[list[float], int]:
    """Seconds from each swipe's send to its journal row, and how many swipes were not stored."""

    async def work(session: AsyncSession, _context: AppContext) -> list[tuple[Any, Any]]:
        rows = await session.execute(
            select(DeviceEventRecord.params, DeviceEventRecord.received_at).where(
                DeviceEventRecord.name == "CardEntered"
            )
        )
        return [(params, received) for params, received in rows.all()]

    stored = {}
    for params, received in in_session(settings, work):
        uid = (params or {}).get("uid")
        if uid in swipes:
            stored[uid] = received.timestamp() - swipes[uid]
    return list(stored.values()), len(swipes) - len(stored)


def run(args: argparse.Namespace) -> dict[str, Any]:
    raise_open_file_limit()
    emulators = spawn_emulators(args.devices, "2.4x")
    try:
        with fresh_database(args.backend, args.database_url) as (database_url, workdir):
            settings = settings_for(database_url, workdir)
            city = seed(settings, emulators.devices, args.residents)
            with deployed_node(settings, workers=args.workers, event_pull_wait=20) as node:
                online_after = wait_online(settings, args.devices)
                pids = {**node.processes(), "emulator": emulators.process.pid, "load (this)": os.getpid()}
                trees = {name for name in pids if name == "postgresql"}
                before = {
                    name: tree_cpu_seconds(pid) if name in trees else cpu_seconds(pid)
                    for name, pid in pids.items()
                }
                window = CpuWindow({name: pid for name, pid in pids.items() if name not in trees})
                driven = asyncio.run(drive(args, node.url, emulators.devices, city))
                cores = window.cores()
                for name in trees:
                    cores[name] = (tree_cpu_seconds(pids[name]) - before[name]) / driven["elapsed"]
                time.sleep(2)  # the last swipes reach the journal
            latencies, lost = journal_latencies(settings, driven["swipes"])
    finally:
        emulators.stop()
    return {
        "driven": driven,
        "cores": cores,
        "journal": latencies,
        "lost": lost,
        "online_after": online_after,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--devices", type=int, default=2000, help="emulated panels online")
    parser.add_argument("--residents", type=int, default=1000, help="residents with a door each")
    parser.add_argument("--event-rate", type=float, default=100.0, help="card swipes per second")
    parser.add_argument("--home-rate", type=float, default=100.0, help="GET /api/v1/intercom per second")
    parser.add_argument("--door-rate", type=float, default=20.0, help="door opens per second")
    parser.add_argument("--admin-rate", type=float, default=20.0, help="admin reads per second")
    parser.add_argument("--billing-rate", type=float, default=5.0, help="billing writes per second")
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=5.0, help="unmeasured seconds of API load first")
    parser.add_argument("--workers", type=int, default=2, help="serve --workers")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--database-url", help="an empty database to migrate and use instead")
    parser.add_argument("--name", default="city", help="results file name (bench/results/<name>.json)")
    args = parser.parse_args()

    result = run(args)
    driven = result["driven"]
    rows: list[list[Any]] = []
    data: dict[str, Any] = {"args": vars(args), "online_after_s": round(result["online_after"], 1)}
    for key, path in driven["paths"].items():
        latencies = result["journal"] if key == "events" else path.latencies
        errors = sum(path.errors.values()) + (result["lost"] if key == "events" else 0)
        figures = {
            "offered_per_s": path.rate,
            "per_s": round(path.ok / driven["elapsed"], 1),
            "ok": path.ok,
            "errors": errors,
            "error_kinds": {**path.errors, **({"not stored": result["lost"]} if key == "events" else {})},
            "p50_ms": ms(percentile(latencies, 50)),
            "p99_ms": ms(percentile(latencies, 99)),
            "max_ms": ms(max(latencies, default=float("nan"))),
        }
        data[key] = figures
        rows.append(
            [path.name, path.rate, figures["per_s"], path.ok, errors, figures["p50_ms"], figures["p99_ms"],
             figures["max_ms"]]
        )  # fmt: skip
    overhead = round(data["door"]["p99_ms"] - data["panel"]["p99_ms"], 2)
    data["door_open_overhead_p99_ms"] = overhead
    rows.append(["door-open overhead over the panel, p99", "", "", "", "", "", f"{overhead}", ""])
    data["cores"] = {name: round(value, 3) for name, value in result["cores"].items()}
    api_requests = sum(path.ok for key, path in driven["paths"].items() if key not in ("events", "panel"))
    worker_cpu = (
        sum(v for name, v in result["cores"].items() if name.startswith("worker")) * driven["elapsed"]
    )
    data["worker_cpu_ms_per_api_request"] = round(1000 * worker_cpu / max(api_requests, 1), 2)
    rows += [
        [f"CPU: {name}", "", "", "", "", "", "", f"{value:.2f} cores"]
        for name, value in data["cores"].items()
    ]
    report(
        args.name,
        f"City: {args.devices} panels online, {args.duration:.0f} s, {args.backend}, serve --workers "
        f"{args.workers} + supervisor (latency of events: swipe -> journal)",
        ["path", "offered/s", "req/s", "ok", "errors", "p50 ms", "p99 ms", "max ms"],
        rows,
        data,
    )


if __name__ == "__main__":
    main()
