"""Serial numbers and MACs: distinct across emulator processes of one machine, reproducible."""

from __future__ import annotations

import asyncio
import json
import signal
import sys

import pytest

from entryphone.emulator import EmulatorFleet, identity_for_port, make_identity


async def _describe_process(count: int) -> tuple[asyncio.subprocess.Process, list[dict[str, str]]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "entryphone.emulator.cli",
        "--count",
        str(count),
        "--port",
        "0",
        "--no-https",
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    lines = [json.loads(await asyncio.wait_for(process.stdout.readline(), 60)) for _ in range(count)]
    return process, lines


async def test_two_processes_with_default_options_have_distinct_identities() -> None:
    started = await asyncio.gather(_describe_process(3), _describe_process(3))
    try:
        devices = [device for _, lines in started for device in lines]
        assert len({d["serial"] for d in devices}) == 6
        assert len({d["mac"] for d in devices}) == 6
        for device in devices:
            port = int(device["url"].rsplit(":", 1)[1])
            assert (device["serial"], device["mac"]) == (
                identity_for_port(port).serial,
                identity_for_port(port).mac,
            )
    finally:
        for process, _ in started:
            process.send_signal(signal.SIGINT)
            await process.wait()


async def test_a_default_identity_is_the_same_for_the_same_port() -> None:
    async with EmulatorFleet(2, https_port=None) as fleet:
        for device in fleet.devices:
            assert device.identity == identity_for_port(device.port)
    assert identity_for_port(8080) == identity_for_port(8080)
    assert (identity_for_port(8080).serial, identity_for_port(8080).mac) == (
        "54-0839-6688",
        "7C-1E-B3-80-1F-90",
    )


def test_seeded_and_port_derived_identities_never_overlap() -> None:
    seeded = {make_identity(seed, index).mac for seed in (0, 2047) for index in (0, 4095)}
    derived = {identity_for_port(port).mac for port in (1, 8080, 65535)}
    assert not seeded & derived
    with pytest.raises(ValueError):
        make_identity(2048, 0)
