"""Key sync: N keys (default 10,000, the 2N directory's capacity) to one emulated 2.4x panel through the
2N driver's bulk `sync_keys` (/api/dir in batches), against one call per key measured in the same run.

One asyncio program: two emulated panels (each starts with an empty directory) and the driver talk
over loopback HTTP with Digest auth, exactly as the platform does. Measured:

- bulk: `driver.sync_keys(keys, [])` onto an empty directory (reads the directory, creates in batches);
- bulk again with nothing changed, and with 1% of the keys changed (the usual reconciliation);
- one call per key: `driver.apply_key_changes([key], [], [])` for every key on the second panel (the
  incremental path the platform uses for a single added key: dir/get then dir/create).

Run: .venv/bin/python bench/key_sync.py [--keys 10000] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import aiohttp
from _common import ms, report

from entryphone.devices import DeviceTarget, Key, default_registry
from entryphone.devices.driver import DeviceDriver
from entryphone.emulator import EmulatedDevice, EmulatorFleet


def driver_for(session: aiohttp.ClientSession, device: EmulatedDevice) -> DeviceDriver:
    target = DeviceTarget(
        vendor="2n",
        host=device.host,
        port=device.port,
        username=device.login,
        password=device.password,
        timeout=60.0,
    )
    return default_registry().create(target, session)


def make_keys(count: int) -> list[Key]:
    return [
        Key(id=f"bench-{i}", uid=f"{0x0104000000 + i:010X}", label=f"Flat {i % 500 + 1}")
        for i in range(count)
    ]


async def run(count: int) -> dict[str, Any]:
    keys = make_keys(count)
    changed = [
        key.model_copy(update={"uid": f"{0x0A00000000 + i:010X}"}) if i % 100 == 0 else key
        for i, key in enumerate(keys)
    ]
    async with (
        EmulatorFleet(2, profile="2.4x", https_port=None) as fleet,
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session,
    ):
        bulk_driver = driver_for(session, fleet.devices[0])
        single_driver = driver_for(session, fleet.devices[1])
        await bulk_driver.probe()  # capability detection is not part of what is measured
        await single_driver.probe()

        started = time.perf_counter()
        first = await bulk_driver.sync_keys(keys, [])
        bulk_s = time.perf_counter() - started

        started = time.perf_counter()
        again = await bulk_driver.sync_keys(keys, [])
        unchanged_s = time.perf_counter() - started

        started = time.perf_counter()
        partial = await bulk_driver.sync_keys(changed, [])
        partial_s = time.perf_counter() - started

        per_call: list[float] = []
        failed = 0
        started = time.perf_counter()
        for key in keys:
            call_started = time.perf_counter()
            result = await single_driver.apply_key_changes([key], [], [])
            per_call.append(time.perf_counter() - call_started)
            failed += len(result.failed)
        single_s = time.perf_counter() - started
        stored = len(fleet.devices[1].directory.users())

    per_call.sort()
    return {
        "keys": count,
        "bulk_s": bulk_s,
        "bulk_report": first.model_dump(mode="json"),
        "bulk_unchanged_s": unchanged_s,
        "bulk_unchanged_report": again.model_dump(mode="json"),
        "bulk_one_percent_changed_s": partial_s,
        "bulk_one_percent_changed_report": partial.model_dump(mode="json"),
        "one_call_per_key_s": single_s,
        "one_call_per_key_failed": failed,
        "one_call_per_key_stored": stored,
        "one_call_p50_ms": ms(per_call[len(per_call) // 2]),
        "one_call_p99_ms": ms(per_call[min(len(per_call) - 1, int(len(per_call) * 0.99))]),
        "ratio": single_s / bulk_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--keys", type=int, default=10_000, help="keys to sync (at most 10,000)")
    parser.add_argument("--quick", action="store_true", help="1,000 keys (well under a minute)")
    parser.add_argument("--name", default="key_sync", help="results file name (bench/results/<name>.json)")
    args = parser.parse_args()
    count = 1_000 if args.quick else args.keys
    if not 1 <= count <= 10_000:
        parser.error("--keys must be 1 to 10,000 (the 2N directory holds 10,000 records)")
    result = asyncio.run(run(count))
    rows = [
        ("bulk sync_keys, empty directory", f"{result['bulk_s']:.2f}", result["bulk_report"]["created"]),
        ("bulk sync_keys, nothing changed", f"{result['bulk_unchanged_s']:.2f}", 0),
        (
            "bulk sync_keys, 1% changed",
            f"{result['bulk_one_percent_changed_s']:.2f}",
            result["bulk_one_percent_changed_report"]["updated"],
        ),
        (
            "one apply_key_changes call per key",
            f"{result['one_call_per_key_s']:.2f}",
            result["one_call_per_key_stored"],
        ),
        ("one call per key / bulk", f"{result['ratio']:.1f}x", ""),
    ]
    report(
        args.name,
        f"{count:,} keys to one emulated 2N 2.4x panel (one call per key: "
        f"p50 {result['one_call_p50_ms']} ms, p99 {result['one_call_p99_ms']} ms)",
        ["method", "seconds", "records written"],
        rows,
        result,
    )


if __name__ == "__main__":
    main()
