"""What every client API call resolves first: the resident, the calling device, the push publisher."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.accounts import service as accounts
from entryphone.accounts.service import Principal
from entryphone.api.deps import (
    ClientDevice,
    ClientHeaders,
    Context,
    DbSession,
    ResidentPrincipal,
    bearer_token,
    client_device,
)
from entryphone.models import Role
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


async def _caller_alone(
    context: Context,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    x_client: Annotated[str | None, Header(alias="X-Client")] = None,
    x_uuid: Annotated[str | None, Header(alias="X-UUID")] = None,
) -> Caller:
    """`Resident` without a request session, for the routes that call a device: token and device in
    one short transaction of its own, the token judged first (401 before a header's 422) as there."""
    async with context.sessions.begin() as session:
        principal = await accounts.authenticate(session, bearer_token(authorization), Role.resident)
        return await _remembered(session, principal, await client_device(x_client, x_uuid))


async def _publisher(context: Context) -> PushHub | None:
    return hub_of(context)


Resident = Annotated[Caller, Depends(_caller)]
CallerAlone = Annotated[Caller, Depends(_caller_alone)]
Publisher = Annotated[PushHub | None, Depends(_publisher)]
