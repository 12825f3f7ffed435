"""Door open: a resident's open-door request until the panel's switch is active, under 50 concurrent
residents, with the device's own time measured apart in the same run.

Processes: emulated 2.4x panels (`python -m entryphone.emulator.cli`, plain HTTP), the platform as
docs/operations.md deploys it (PostgreSQL, `entryphone serve --workers 2`, the supervisor beside
the workers watching every panel, online before anything is measured) on a fresh database, and
this program. Seeding goes through the domain services: one `2n` intercom per panel with flats,
residents attached to a flat with `is_open_door_app`, one token each, and an admin.

Measured, each as loops of callers doing `--rounds` opens each:
1. device: the 2N `switch/ctrl?action=trigger` sent straight to the panel with the helios client
   (what the platform itself sends; the panel answers once the switch is on) - the device's own time;
2. client API: `POST /api/v1/intercom/{id}/open-door` (Bearer token, X-Client, X-UUID); 204 means
   the panel confirmed the switch;
3. admin API: `POST /api/admin/v1/intercoms/{id}/open-door`;
each under three loads: one caller (the cost of one open, no queueing); `--residents` residents who
each wait a random think time (exponential, mean `--think` seconds) between the answer and their next
tap, as people do (the target's load); and the same residents with no think time at all (closed
loops: the server saturates, which measures its capacity, not a resident's wait).
Overhead = API percentile minus device percentile under the same load. Server cores = the node's
processes together (serve, workers, supervisor).

Run: .venv/bin/python bench/door_open.py [--residents 50] [--rounds 20] [--think 1.0] [--quick]
     [--workers 2] [--backend postgresql|sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from _common import (
    CpuWindow,
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
    wait_online,
)
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.accounts import service as accounts
from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.flats import service as flats
from entryphone.helios import Credentials, HeliosClient
from entryphone.helios.api.switch import SwitchAction
from entryphone.models import Intercom, Role
from entryphone.models.door_open import DoorOpenRequest

FLATS_PER_INTERCOM = 50


@dataclass(frozen=True)
class Resident:
    token: str
    intercom_id: int
    device_index: int
    uuid: str


@dataclass(frozen=True)
class Seeded:
    residents: list[Resident]
    admin_token: str
    intercom_ids: list[int]


def seed(settings: Settings, devices: list[dict[str, Any]], residents: int) -> Seeded:
    ids = seed_intercoms(settings, devices)

    async def work(session: AsyncSession, _context: AppContext) -> Seeded:
        for intercom_id in ids:
            intercom = await session.get(Intercom, intercom_id)
            assert intercom is not None
            await flats.sync_flat_range(session, intercom, 1, FLATS_PER_INTERCOM)
        people: list[Resident] = []
        for index in range(residents):
            device_index = index % len(ids)
            account = await accounts.create_account(
                session, login=f"bench-resident-{index}", password="bench-pass", role=Role.resident
            )
            token = (await accounts.issue_token(session, account, name="bench")).token
            flat = await flats.get_flat_by_number(
                session, ids[device_index], index // len(ids) % FLATS_PER_INTERCOM + 1
            )
            await flats.attach_resident(
                session, flat, account.id, permissions=flats.Permissions(is_open_door_app=True)
            )
            people.append(Resident(token, ids[device_index], device_index, f"bench-phone-{index}"))
        admin = await accounts.create_account(
            session, login="bench-admin", password="bench-pass", role=Role.admin
        )
        admin_token = (await accounts.issue_token(session, admin, name="bench")).token
        return Seeded(people, admin_token, ids)

    return in_session(settings, work)


def door_requests(settings: Settings) -> dict[str, int]:
    async def work(session: AsyncSession, _context: AppContext) -> dict[str, int]:
        rows = await session.execute(
            select(DoorOpenRequest.status, func.count()).group_by(DoorOpenRequest.status)
        )
        return {str(status): int(count) for status, count in rows.all()}

    return in_session(settings, work)


Call = Callable[[int, int], Awaitable[int]]  # (caller index, round) -> HTTP status (204/200 = ok)


@dataclass(frozen=True)
class Load:
    """How the callers behave: `think` is the mean pause (s) between an answer and the next call."""

    key: str
    label: str
    callers: int
    think: float = 0.0


async def run_load(load: Load, rounds: int, call: Call, rng: random.Random) -> dict[str, Any]:
    """`load.callers` concurrent loops of `rounds` calls each; latency of every call."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    # Drawn up front, so every path measured under this load gets the same pauses.
    pauses = [[rng.expovariate(1 / load.think) if load.think else 0.0 for _ in range(rounds)]
              for _ in range(load.callers)]  # fmt: skip

    async def loop(index: int) -> None:
        for number in range(rounds):
            if pauses[index][number]:
                await asyncio.sleep(pauses[index][number])
            started = time.perf_counter()
            try:
                status = await call(index, number)
            except Exception as exc:  # a failure is a figure too
                status = -1
                print(f"call failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            latencies.append(time.perf_counter() - started)
            statuses[status] += 1

    started = time.perf_counter()
    await asyncio.gather(*(loop(i) for i in range(load.callers)))
    wall = time.perf_counter() - started
    return {
        "callers": load.callers,
        "think_s": load.think,
        "requests": len(latencies),
        "ok": statuses[204] + statuses[200],
        "statuses": {str(k): v for k, v in statuses.items()},
        "per_s": len(latencies) / wall,
        "p50_ms": ms(percentile(latencies, 50)),
        "p90_ms": ms(percentile(latencies, 90)),
        "p99_ms": ms(percentile(latencies, 99)),
        "max_ms": ms(max(latencies, default=float("nan"))),
    }


async def measure(
    args: argparse.Namespace,
    url: str,
    devices: list[dict[str, Any]],
    seeded: Seeded,
    server_pids: dict[str, int],
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(total=30)
    ) as session:
        helios = [
            HeliosClient(
                session,
                "127.0.0.1",
                port=int(d["url"].rsplit(":", 1)[1]),
                credentials=Credentials(d["login"], d["password"]),
                timeout=30,
            )
            for d in devices
        ]
        residents = seeded.residents

        async def device(index: int, _round: int) -> int:
            await helios[residents[index].device_index].switch.ctrl(1, SwitchAction.TRIGGER)
            return 204

        async def client_api(index: int, _round: int) -> int:
            resident = residents[index]
            headers = {
                "Authorization": f"Bearer {resident.token}",
                "X-Client": "android-cctv",
                "X-UUID": resident.uuid,
            }
            path = f"{url}/api/v1/intercom/{resident.intercom_id}/open-door"
            async with session.post(path, headers=headers) as reply:
                if reply.status != 204 and not args.quiet_errors:
                    print(f"client open-door {reply.status}: {(await reply.text())[:300]}", file=sys.stderr)
                return reply.status

        async def admin_api(index: int, _round: int) -> int:
            intercom_id = residents[index].intercom_id
            headers = {"Authorization": f"Bearer {seeded.admin_token}", "Accept": "application/json"}
            path = f"{url}/api/admin/v1/intercoms/{intercom_id}/open-door"
            async with session.post(path, headers=headers, json={}) as reply:
                if reply.status != 204 and not args.quiet_errors:
                    print(f"admin open-door {reply.status}: {(await reply.text())[:300]}", file=sys.stderr)
                return reply.status

        # Warm-up, not measured: Digest nonces, connections, the server's first requests, and each
        # resident's first request, which registers their phone and records the token's first use
        # (writes a resident's later opens do not make).
        warm = random.Random(0)
        await run_load(Load("warm", "", len(residents)), 1, device, warm)
        await run_load(Load("warm", "", len(residents)), 1, client_api, warm)
        for name, call in (("device", device), ("client_api", client_api), ("admin_api", admin_api)):
            for number, load in enumerate(loads(args)):
                window = CpuWindow(server_pids)
                figures = await run_load(load, args.rounds, call, random.Random(number))
                figures["server_cores"] = round(sum(window.cores().values()), 3)
                figures["server_cores_starved"] = round(sum(window.starved().values()), 3)
                figures["cores_by_process"] = {k: round(v, 3) for k, v in window.cores().items()}
                results[f"{name}_{load.key}"] = figures
    return results


def loads(args: argparse.Namespace) -> list[Load]:
    return [
        Load("single", "1 caller", 1),
        Load("residents", f"{args.residents}, think {args.think:g} s", args.residents, args.think),
        Load("saturated", f"{args.residents}, no think time", args.residents),
    ]


def run(args: argparse.Namespace) -> dict[str, Any]:
    raise_open_file_limit()
    emulators = spawn_emulators(args.intercoms, "2.4x")
    try:
        with fresh_database(args.backend, args.database_url) as (database_url, workdir):
            settings = settings_for(database_url, workdir)
            seeded = seed(settings, emulators.devices, args.residents)
            with deployed_node(settings, workers=args.workers) as node:
                wait_online(settings, args.intercoms)
                pids = {name: pid for name, pid in node.processes().items() if name != "postgresql"}
                result = asyncio.run(measure(args, node.url, emulators.devices, seeded, pids))
            result["door_open_requests"] = door_requests(settings)
            result["server_log_tail"] = node.log.read_text(errors="replace")[-1500:]
    finally:
        emulators.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--residents", type=int, default=50, help="concurrent residents")
    parser.add_argument("--intercoms", type=int, default=10, help="emulated panels the residents share")
    parser.add_argument("--rounds", type=int, default=20, help="opens per resident")
    parser.add_argument(
        "--think", type=float, default=1.0, help="mean pause (s) between a resident's answer and next tap"
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--database-url", help="an empty database to migrate and use instead")
    parser.add_argument("--workers", type=int, default=2, help="serve --workers")
    parser.add_argument("--quiet-errors", action="store_true", help="do not print failed replies")
    parser.add_argument("--quick", action="store_true", help="3 opens per resident")
    parser.add_argument("--name", default="door_open", help="results file name (bench/results/<name>.json)")
    args = parser.parse_args()
    if min(args.residents, args.intercoms, args.rounds) < 1 or not 0 <= args.think < math.inf:
        parser.error("--residents, --intercoms and --rounds must be at least 1; --think a finite number >= 0")
    if args.quick:
        args.rounds = 3
    result = run(args)
    backend = "postgresql" if (args.database_url or "").startswith("postgres") else args.backend
    result.update({"backend": backend, "intercoms": args.intercoms, "workers": args.workers})
    rows = []
    paths = (("device", "device: switch/ctrl direct"), ("client_api", "client open-door"),
             ("admin_api", "admin open-door"))  # fmt: skip
    for name, label in paths:
        for load in loads(args):
            figures = result[f"{name}_{load.key}"]
            rows.append(
                (
                    label,
                    load.label,
                    figures["requests"],
                    figures["ok"],
                    f"{figures['per_s']:.0f}",
                    f"{figures['server_cores']:.2f}",
                    figures["p50_ms"],
                    figures["p99_ms"],
                    figures["max_ms"],
                )
            )
    for name, label in paths[1:]:
        for load in loads(args):
            api, device = result[f"{name}_{load.key}"], result[f"device_{load.key}"]
            result[f"{name}_{load.key}_overhead_p50_ms"] = round(api["p50_ms"] - device["p50_ms"], 2)
            result[f"{name}_{load.key}_overhead_p99_ms"] = round(api["p99_ms"] - device["p99_ms"], 2)
            rows.append(
                (
                    f"overhead: {label} - device",
                    load.label,
                    "",
                    "",
                    "",
                    "",
                    result[f"{name}_{load.key}_overhead_p50_ms"],
                    result[f"{name}_{load.key}_overhead_p99_ms"],
                    "",
                )
            )
    report(
        args.name,
        f"door open: {args.residents} residents on {args.intercoms} emulated panels, "
        f"{args.rounds} opens each "
        f"({backend}, serve --workers {args.workers} + supervisor); "
        f"door_open_requests: {result['door_open_requests']}",
        ["path", "callers", "requests", "ok", "req/s", "server cores", "p50 ms", "p99 ms", "max ms"],
        rows,
        result,
    )


if __name__ == "__main__":
    main()
