"""`entryphone demo`: the whole product on the embedded default, in one process: SQLite, the API,
the supervisor, and a small fleet of emulated 2N panels with demo data. Ctrl-C stops everything."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
import uvicorn
from rich.console import Console

from entryphone.cli.runtime import fail, load_settings
from entryphone.cli.serving import uvicorn_options
from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.db import migrate

if TYPE_CHECKING:
    from entryphone.demo.seed import DemoData
    from entryphone.emulator import EmulatorFleet

# The API, the emulator and the demo data are imported when the demo runs: every other command
# (`entryphone supervisor` on each node among them) would otherwise pay seconds of imports for them.

console = Console()


def demo(
    panels: Annotated[int, typer.Option(min=1, max=50, help="How many emulated 2N panels.")] = 3,
    port: Annotated[
        int | None, typer.Option(min=0, max=65535, help="API port (default 8000; 0: any free).")
    ] = None,
    panel_port: Annotated[
        int, typer.Option(min=0, max=65000, help="Port of the first panel (0: any free ports).")
    ] = 9080,
) -> None:
    """Run the demo: API + supervisor + emulated panels on SQLite, with demo data and ready curls."""
    settings = load_settings()
    if not settings.is_sqlite:
        fail("The demo runs on the embedded SQLite default; unset ENTRYPHONE_DATABASE_URL to use it.")
    if port is not None:
        settings.port = port
    settings.supervisor_enabled = True
    # Every port is taken before anything is written: a second demo started by mistake next to a
    # running one must fail without re-creating its data or revoking its tokens.
    try:
        listener = _listen(settings.host, settings.port)
    except OSError as exc:
        fail(f"Cannot listen on {settings.host}:{settings.port}: {exc.strerror}. Choose another --port.")
    try:
        if panel_port:  # 0: the panels take free ports when they start
            _check_free(settings.host, panel_port, panels)
    except OSError as exc:
        listener.close()
        fail(f"Cannot listen for the panels: {exc}. Choose other ports with --panel-port.")
    with listener:
        migrate.upgrade(settings)
        try:
            asyncio.run(_run(settings, panels, panel_port, listener))
        except OSError as exc:
            fail(f"Cannot listen: {exc.strerror}. Choose other ports with --port / --panel-port.")
        except KeyboardInterrupt:
            pass  # Ctrl-C is how the demo is meant to end: a clean stop, exit status 0


def _listen(host: str, port: int) -> socket.socket:
    """The API's listening socket, bound now and handed to uvicorn later."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def _check_free(host: str, first: int, count: int) -> None:
    """Raise OSError naming the first panel port something else listens on. The panels bind for
    real only after this check; a port taken in between still fails their start, before any data
    is touched."""
    for port in range(first, first + count):
        try:
            _listen(host, port).close()
        except OSError as exc:
            raise OSError(exc.errno, f"port {port} is in use ({exc.strerror})") from None


async def _run(settings: Settings, count: int, panel_port: int, listener: socket.socket) -> None:
    from entryphone.app import create_app
    from entryphone.emulator import EmulatorFleet, Timings

    state_dir = settings.data_dir / "emulator"
    # Restarts take the panel away for 3 s, as a real one would for longer; the identity persists
    # in state_dir so a second run finds the same panels behind the same intercoms.
    fleet = EmulatorFleet(
        count, port=panel_port, https_port=None, profile="2.4x", state_dir=state_dir, timings=Timings()
    )
    where = f"on ports {panel_port}..{panel_port + count - 1}" if panel_port else "on free ports"
    with console.status(f"Starting {count} emulated 2N panels {where}"):
        await fleet.start()
    try:
        with console.status("Preparing demo data"):
            data = await _seed(settings, fleet)
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(settings),
                host=settings.host,
                port=settings.port,
                log_level="warning",
                **uvicorn_options(settings),
            )
        )
        serving = asyncio.create_task(server.serve(sockets=[listener]))
        while not server.started and not serving.done():  # noqa: ASYNC110 - uvicorn offers no event
            await asyncio.sleep(0.05)
        if serving.done():
            await serving  # re-raises why it could not start
            return
        settings.port = server.servers[0].sockets[0].getsockname()[1]  # as bound (--port 0)
        from entryphone.sip import demo as sip_demo

        # Kamailio is up before the tour is printed: its start-up does not compete with the
        # first commands a reader (or tests/test_demo.py) runs.
        sip_lines, stop_sip = await sip_demo.start(settings, data.resident_token)
        _print_tour(settings, data, state_dir)
        for line in sip_lines:
            console.print(line, soft_wrap=True, highlight=False)
        if stop_sip is not None:
            _print_call_tour(data)
        try:
            await serving
        finally:
            if stop_sip is not None:
                await stop_sip()
    finally:
        with contextlib.suppress(Exception):
            await fleet.stop()
        console.print("Demo stopped. Run `make run` again to continue with the same data.")


async def _seed(settings: Settings, fleet: EmulatorFleet) -> DemoData:
    from entryphone.demo.seed import DemoPanel, seed
    from entryphone.fleet.access import DeviceAccess

    context = AppContext.build(settings)
    access = DeviceAccess(settings, context.secrets)
    try:
        async with context.sessions() as session, session.begin():
            panels = [DemoPanel(url=d.url, login=d.login, password=d.password) for d in fleet.devices]
            ports = [d.port for d in fleet.devices]
            sip_server = (settings.sip_advertised_host(), settings.sip_port)
            return await seed(session, context.secrets, access, panels, ports, sip_server)
    finally:
        await access.close()
        await context.close()


def _print_call_tour(data: DemoData) -> None:
    """The visitor's call, once Kamailio runs: the platform has provisioned each panel's SIP account
    and relay code, so the panel registers and can call the resident's flat."""
    from entryphone.demo.seed import DOOR_DTMF, RESIDENT_FLAT

    if not data.intercoms:
        return
    first = data.intercoms[0]
    call = f'{{"flat": {RESIDENT_FLAT}}}'
    out = [
        "",
        f"A visitor calls flat {RESIDENT_FLAT} from the panel (registered as {first.sip_login}; register the "
        "softphone above first, it rings):",
        f"curl -i -X POST -H 'Content-Type: application/json' -d '{call}' {first.panel.url}/_emulator/call",
        f"Answer on the softphone and send the DTMF code {DOOR_DTMF}: relay 1 opens, and the door-open "
        "history above shows it as source dtmf, with the call and the resident.",
    ]
    for line in out:
        console.print(line, soft_wrap=True, highlight=False)


def _print_tour(settings: Settings, data: DemoData, state_dir: Path) -> None:
    """Plain lines without wrapping, so every command can be copied as printed."""
    api = f"http://{settings.host}:{settings.port}"
    auth = '-H "Authorization: Bearer $ADMIN_TOKEN"'
    app_headers = '-H "Authorization: Bearer $RESIDENT_TOKEN" -H "X-Client: web" -H "X-UUID: demo-phone"'
    out = [
        "",
        "[bold green]entryphone demo is running[/]",
        f"API docs: {api}/docs",
        f"Operator's console: {api}/console (sign in as {data.admin_login} / {data.admin_password})",
        f"Resident login (POST /api/v1/token): {data.resident_login} / {data.resident_password}",
        "",
        "Tokens (paste these two lines first):",
        f"export ADMIN_TOKEN={data.admin_token}",
        f"export RESIDENT_TOKEN={data.resident_token}",
        "",
        "Intercoms, each watched live by the supervisor:",
    ]
    out += [f"  #{i.id} {i.title}: panel {i.panel.url} (resident's key {i.key})" for i in data.intercoms]
    if data.intercoms:
        first = data.intercoms[0]
        card = f'{{"uid": "{first.key}"}}'
        out += [
            "",
            "Open the door as an admin (the panel's switch 1 turns on for 5 s):",
            f"curl -i -X POST {auth} {api}/api/admin/v1/intercoms/{first.id}/open-door",
            "Open it as the resident, from an app:",
            f"curl -i -X POST {app_headers} {api}/api/v1/intercom/{first.id}/open-door",
            "Swipe the resident's card on the panel (the emulator's physical-world API):",
            f"curl -i -X POST -H 'Content-Type: application/json' -d '{card}' "
            f"{first.panel.url}/_emulator/card",
            "See it in the intercom's journal, and in the door-open history:",
            f"curl -s {auth} '{api}/api/admin/v1/intercoms/{first.id}/logs?type=CardEntered'",
            f"curl -s {auth} '{api}/api/admin/v1/intercoms/{first.id}/door-openings'",
        ]
    out += ["", f"Data: {settings.database_url} and {state_dir}. Ctrl-C stops everything."]
    for line in out:
        console.print(line, soft_wrap=True, highlight=False)
