"""The residents' side of a call reaching the panel: when the call ends in the app (hung up, or
declined on every device), the panel's own call is hung up too, so it stops ringing or talking."""

from __future__ import annotations

import logging

from entryphone.context import AppContext
from entryphone.errors import EntryphoneError
from entryphone.fleet.commands import FleetCommands
from entryphone.fleet.runtime import COMMANDS
from entryphone.models.call import IntercomCall

log = logging.getLogger(__name__)


def panel_session(call: IntercomCall) -> int | None:
    """The panel's call session id, from the external id the supervisor gave the call
    ("<boot>:<session>"); None for calls that did not come from a panel's events."""
    if not call.external_id or ":" not in call.external_id:
        return None
    session = call.external_id.rsplit(":", 1)[1]
    return int(session) if session.isdigit() else None


async def hang_up_on_panel(context: AppContext, call: IntercomCall) -> None:
    """Best effort, after the resident's action is committed: the call record is already right, and
    a panel that ended the call by itself (or is offline) is not an error for the resident."""
    session = panel_session(call)
    commands = context.services.get(COMMANDS)
    if session is None or not isinstance(commands, FleetCommands):
        return
    try:
        await commands.hangup_call(call.intercom_id, session)
    except EntryphoneError as exc:  # no driver, intercom deleted, panel offline, call already over
        log.info("call %s: the panel's call %s was not hung up: %s", call.id, session, exc.message)
