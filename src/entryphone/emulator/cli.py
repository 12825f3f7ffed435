"""`entryphone emulator`: serve N emulated panels until interrupted.

Prints one JSON line per device (url, login, password, serial, mac, ...) once all listen.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from entryphone.heap import HeapSettler, tune_collector

from .boot import Timings
from .fleet import EmulatorFleet
from .profile import ProfileName

app = typer.Typer(help="A faithful 2N Helios IP intercom emulator (HTTP API 2.21), many devices per process.")


HEAP_CHECK_SECONDS = 2.0


async def serve(fleet: EmulatorFleet, stop: asyncio.Event) -> None:
    await fleet.start()
    settling = asyncio.create_task(_settle_heap(fleet))
    try:
        for device in fleet.devices:
            sys.stdout.write(json.dumps(device.describe()) + "\n")
        sys.stdout.flush()
        await stop.wait()
    finally:
        settling.cancel()
        await fleet.stop()


async def _settle_heap(fleet: EmulatorFleet) -> None:
    """Freeze the heap as the fleet and its subscribers grow (entryphone/heap.py): full collections
    of a 5,000-panel heap stopped every panel for up to 1.5 s."""
    tune_collector()
    settler = HeapSettler()
    while True:
        settler.observe(fleet.population())
        await asyncio.sleep(HEAP_CHECK_SECONDS)


def run_emulator(
    count: int = 1,
    host: str = "127.0.0.1",
    port: int = 8080,
    profile: str = "2.21",
    state_dir: Path | None = None,
    https_port: int | None = None,
    no_https: bool = False,
    restart_downtime: float = 3.0,
    config_delay: float = 15.0,
    control_token: str | None = None,
    seed: int | None = None,
) -> None:
    """Run until SIGINT/SIGTERM. HTTPS listens on https_port+i (default: right after the HTTP range)."""
    if no_https:
        secure_port: int | None = None
    elif https_port is not None:
        secure_port = https_port
    else:
        secure_port = port + count if port else 0
    fleet = EmulatorFleet(
        count,
        host=host,
        port=port,
        https_port=secure_port,
        profile=profile,
        state_dir=state_dir,
        timings=Timings(restart_downtime=restart_downtime, config_delay=config_delay),
        control_token=control_token,
        seed=seed,
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await serve(fleet, stop)

    asyncio.run(main())


@app.callback(invoke_without_command=True)
def emulator(
    count: Annotated[int, typer.Option("--count", "-n", min=1, help="Number of devices.")] = 1,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="First HTTP port (0: ephemeral).")] = 8080,
    profile: Annotated[ProfileName, typer.Option(help="Firmware profile.")] = ProfileName.V2_21,
    state_dir: Annotated[
        Path | None, typer.Option(help="Persist each device's configuration and directory here.")
    ] = None,
    https_port: Annotated[
        int | None, typer.Option(min=0, max=65535, help="First HTTPS port (default: after the HTTP range).")
    ] = None,
    no_https: Annotated[bool, typer.Option("--no-https", help="No HTTPS listeners.")] = False,
    restart_downtime: Annotated[
        float, typer.Option(min=0, help="Seconds a restart keeps a device away.")
    ] = 3.0,
    config_delay: Annotated[
        float,
        typer.Option(min=0, help="Seconds until a config upload or factory reset takes effect."),
    ] = 15.0,
    control_token: Annotated[
        str | None, typer.Option(envvar="ENTRYPHONE_EMULATOR_TOKEN", help="Token the control API requires.")
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=2047,
            help="Identity seed (serials, MACs); default: from each port.",
        ),
    ] = None,
) -> None:
    run_emulator(
        count=count,
        host=host,
        port=port,
        profile=profile.value,
        state_dir=state_dir,
        https_port=https_port,
        no_https=no_https,
        restart_downtime=restart_downtime,
        config_delay=config_delay,
        control_token=control_token,
        seed=seed,
    )


if __name__ == "__main__":
    app()
