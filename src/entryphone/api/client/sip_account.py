"""GET /api/v1/sip-account: this phone's SIP account (docs/calls.md)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Response
from pydantic import BaseModel

from entryphone.api.client.deps import Resident
from entryphone.api.deps import Context, DbSession, ResidentPrincipal
from entryphone.api.formatting import iso
from entryphone.sipaccounts import service as sip_accounts
from entryphone.siprouting.service import sip_server

router = APIRouter(tags=["client: calls"])


class SipAccountOut(BaseModel):
    server: str
    port: int
    transport: str
    realm: str
    login: str
    auth_user: str
    password: str
    expires_at: str


@router.get(
    "/sip-account",
    response_model=SipAccountOut,
    summary="This phone's SIP account",
    description="The SIP account of the calling device (X-UUID): created on the first request, "
    "renewed (new password) when less than a third of its life is left or when another bearer "
    "token of this device asks; it ends with the device, the resident or the token. `login` is "
    "the user part of the phone's SIP address at `realm`; `auth_user` is its Digest username.",
)
async def sip_account(
    caller: Resident, principal: ResidentPrincipal, session: DbSession, context: Context, response: Response
) -> SipAccountOut:
    response.headers["Cache-Control"] = "no-store"  # it carries a password
    settings = context.settings
    issued = await sip_accounts.issue(
        session,
        context.secrets,
        account_id=caller.account_id,
        device_uuid=caller.device,
        token_id=principal.token_id,
        lifetime=timedelta(days=settings.sip_account_days),
    )
    server = sip_server(settings)
    return SipAccountOut(
        server=server["server"],
        port=server["port"],
        transport=server["transport"],
        realm=server["realm"],
        login=issued.login,
        auth_user=issued.login,
        password=issued.password,
        expires_at=iso(issued.expires_at) or "",
    )
