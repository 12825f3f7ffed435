"""Turn domain rows into client objects for one caller (title, status and schedule are per caller)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.api.client.deps import Caller
from entryphone.api.client.schemas import IntercomOut
from entryphone.errors import NotFound
from entryphone.models import Intercom
from entryphone.residents import service as residents


async def intercoms_out(
    session: AsyncSession, caller: Caller, intercoms: Sequence[Intercom]
) -> list[IntercomOut]:
    views = await residents.views(session, caller.account_id, caller.device, intercoms)
    return [IntercomOut.of(view) for view in views]


async def intercom_out(session: AsyncSession, caller: Caller, intercom: Intercom) -> IntercomOut:
    return (await intercoms_out(session, caller, [intercom]))[0]


async def by_id(session: AsyncSession, caller: Caller, intercom_ids: Sequence[int]) -> dict[int, IntercomOut]:
    """Client objects of the caller's intercoms among `intercom_ids`."""
    found = await residents.visible_among(session, caller.account_id, list(dict.fromkeys(intercom_ids)))
    return {out.id: out for out in await intercoms_out(session, caller, found)}


def pick(outs: dict[int, IntercomOut], intercom_id: int) -> IntercomOut:
    if intercom_id not in outs:
        raise NotFound()
    return outs[intercom_id]
