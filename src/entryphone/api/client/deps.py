"""What every client API call resolves first: the resident, the calling device, the push publisher."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.accounts.service import Principal
from entryphone.api.deps import (
    ClientDevice,
    ClientHeaders,
    Context,
    DbSession,
    ResidentAlone,
    ResidentPrincipal,
)
from entryphone.pushes import PushHub, hub_of
from entryphone.residents import service as residents


@dataclass(frozen=True)
class Caller:
    account_id: int
    device: str  # X-UUID


async def _remembered(session: AsyncSession, principal: Principal, device: ClientDevice) -> Caller:
    account_id, kind = principal.account_id, device.kind.value
    if not await residents.device_is_current(session, account_id, device.uuid, kind):
        await residents.remember_device(session, account_id, device.uuid, kind)
    return Caller(account_id=principal.account_id, device=device.uuid)


async def _caller(principal: ResidentPrincipal, device: ClientHeaders, session: DbSession) -> Caller:
    return await _remembered(session, principal, device)


async def _caller_alone(principal: ResidentAlone, device: ClientHeaders, context: Context) -> Caller:
    """`Resident` in a short transaction of its own, for the routes that call a device."""
    async with context.sessions.begin() as session:
        return await _remembered(session, principal, device)


async def _publisher(context: Context) -> PushHub | None:
    return hub_of(context)


Resident = Annotated[Caller, Depends(_caller)]
CallerAlone = Annotated[Caller, Depends(_caller_alone)]
Publisher = Annotated[PushHub | None, Depends(_publisher)]
