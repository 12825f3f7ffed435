"""Starting the fleet in a process: device access for commands always, the supervisor when enabled."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from entryphone.context import AppContext
from entryphone.fleet.access import DeviceAccess
from entryphone.fleet.journal import Effect
from entryphone.fleet.supervisor import Supervisor

ACCESS = "devices"
SUPERVISOR = "supervisor"


def default_effects() -> list[Effect]:
    """What stored events cause in the domain (journal-only until effects are registered)."""
    from entryphone.fleet.effects import EFFECTS

    return list(EFFECTS)


async def start_fleet(
    context: AppContext, *, supervise: bool, effects: Sequence[Effect] | None = None
) -> Callable[[], Awaitable[None]]:
    access = DeviceAccess(context.settings, context.secrets)
    context.services[ACCESS] = access
    supervisor: Supervisor | None = None
    if supervise:
        supervisor = Supervisor(context, access, default_effects() if effects is None else effects)
        context.services[SUPERVISOR] = supervisor
        await supervisor.start()

    async def stop() -> None:
        if supervisor is not None:
            await supervisor.stop()
        await access.close()

    return stop


async def fleet_hook(context: AppContext) -> Callable[[], Awaitable[None]]:
    """The app's startup hook: the supervisor runs inside `serve` unless disabled in settings."""
    return await start_fleet(context, supervise=context.settings.supervisor_enabled)
