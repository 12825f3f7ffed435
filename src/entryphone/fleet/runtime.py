"""Starting the fleet in a process: device access for commands always, the supervisor when enabled."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from entryphone.context import AppContext
from entryphone.fleet import background
from entryphone.fleet.access import DeviceAccess
from entryphone.fleet.announce import online_changed
from entryphone.fleet.commands import FleetCommands
from entryphone.fleet.journal import Effect
from entryphone.fleet.supervisor import Supervisor

ACCESS = "devices"
SUPERVISOR = "supervisor"
COMMANDS = "commands"
DOOR_OPENER = "door_opener"


def default_effects() -> list[Effect]:
    """What stored events cause in the domain (journal-only until effects are registered)."""
    from entryphone.fleet.effects import EFFECTS

    return list(EFFECTS)


async def start_fleet(
    context: AppContext,
    *,
    supervise: bool,
    effects: Sequence[Effect] | None = None,
    on_population: Callable[[int], object] | None = None,
) -> Callable[[], Awaitable[None]]:
    access = DeviceAccess(context.settings, context.secrets)
    context.services[ACCESS] = access
    commands = FleetCommands(context, access)
    context.services[COMMANDS] = commands
    context.services[DOOR_OPENER] = commands  # the doors service's DoorOpener
    supervisor: Supervisor | None = None
    if supervise:

        async def on_online_change(intercom_id: int, online: bool) -> None:
            online_changed(context.services, intercom_id, online)

        supervisor = Supervisor(
            context,
            access,
            default_effects() if effects is None else effects,
            on_online_change,
            on_population,
        )
        context.services[SUPERVISOR] = supervisor
        await supervisor.start()

    async def stop() -> None:
        for name in (ACCESS, COMMANDS, DOOR_OPENER, SUPERVISOR):
            context.services.pop(name, None)
        if supervisor is not None:
            await supervisor.stop()
        await background.cancel_all()
        await access.close()

    return stop


async def fleet_hook(context: AppContext) -> Callable[[], Awaitable[None]]:
    """The app's startup hook: the supervisor runs inside `serve` unless disabled in settings."""
    return await start_fleet(context, supervise=context.settings.supervisor_enabled)


def commands_of(context: AppContext) -> FleetCommands:
    commands = context.services.get(COMMANDS)
    if not isinstance(commands, FleetCommands):
        raise RuntimeError("device commands are not started in this process")
    return commands


def access_of(context: AppContext) -> DeviceAccess:
    access = context.services.get(ACCESS)
    if not isinstance(access, DeviceAccess):
        raise RuntimeError("device access is not started in this process")
    return access
