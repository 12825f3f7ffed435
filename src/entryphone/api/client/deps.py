"""What every client API call resolves first: the resident, the calling device, the push publisher."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from entryphone.api.deps import ClientHeaders, Context, DbSession, ResidentPrincipal
from entryphone.pushes import PushHub, hub_of
from entryphone.residents import service as residents


@dataclass(frozen=True)
class Caller:
    account_id: int
    device: str  # X-UUID


async def _caller(principal: ResidentPrincipal, device: ClientHeaders, session: DbSession) -> Caller:
    account_id, kind = principal.account_id, device.kind.value
    if not await residents.device_is_current(session, account_id, device.uuid, kind):
        await residents.remember_device(session, account_id, device.uuid, kind)
    return Caller(account_id=principal.account_id, device=device.uuid)


async def _publisher(context: Context) -> PushHub | None:
    return hub_of(context)


Resident = Annotated[Caller, Depends(_caller)]
Publisher = Annotated[PushHub | None, Depends(_publisher)]
