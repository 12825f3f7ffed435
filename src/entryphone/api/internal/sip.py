"""/internal/sip: Digest HA1 lookups, call routing and call reports for Kamailio (docs/calls.md)."""

from __future__ import annotations

import base64
import hmac
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from entryphone.api.deps import Context, DbSession
from entryphone.context import AppContext
from entryphone.errors import NotFound, Unauthenticated
from entryphone.pushes import PushHub, hub_of
from entryphone.sipaccounts import service as sip_accounts
from entryphone.siprouting import service as routing

USER = "kamailio"


async def _kamailio(
    context: Context, authorization: Annotated[str | None, Header(include_in_schema=False)] = None
) -> AppContext:
    """HTTP Basic `kamailio:<secret>`, compared in constant time with the credentials encoded once
    per process (Kamailio and curl send the canonical base64); anything else is a 401."""
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic" or not encoded or len(encoded) > 512:
        raise Unauthenticated()
    if not hmac.compare_digest(encoded.strip().encode(), _expected(context)):
        raise Unauthenticated()
    return context


_CREDENTIALS = "sip-internal-credentials"


def _expected(context: AppContext) -> bytes:
    """base64(`kamailio:<secret>`): the secret is derived from SECRET_KEY (an HMAC, perhaps a file
    read), so it is worked out on the first request and kept with the app's context."""
    expected = context.services.get(_CREDENTIALS)
    if not isinstance(expected, bytes):
        expected = base64.b64encode(f"{USER}:{context.settings.resolved_sip_secret()}".encode())
        context.services[_CREDENTIALS] = expected
    return expected


async def _publisher(context: Context) -> PushHub | None:
    return hub_of(context)


Kamailio = Annotated[AppContext, Depends(_kamailio)]
Publisher = Annotated[PushHub | None, Depends(_publisher)]
router = APIRouter(prefix="/sip", tags=["internal: sip"], include_in_schema=False)

SipUser = Annotated[str, Field(min_length=1, max_length=64)]
CallId = Annotated[str, Field(min_length=1, max_length=255)]
Node = Annotated[str, Field(min_length=1, max_length=64)]


@router.get("/ha1", response_class=PlainTextResponse, summary="Digest HA1 of a SIP user")
async def digest_ha1(
    context: Kamailio, session: DbSession, user: Annotated[str, Query(min_length=1, max_length=64)]
) -> PlainTextResponse:
    """MD5(user:realm:password) of a live phone or panel, as one line; 404 for anyone else."""
    found = await sip_accounts.digest_ha1(session, context.secrets, user, context.settings.sip_domain)
    if found is None:
        raise NotFound()
    return PlainTextResponse(found[1])


class RouteIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    panel: SipUser
    number: Annotated[str, Field(min_length=1, max_length=64)]
    call_id: CallId
    node: Node


class RouteOut(BaseModel):
    code: int
    reason: str
    call: int
    ring: int
    talk: int
    phones: list[str]
    landline: str


@router.post("/route", response_model=RouteOut, summary="Whom a panel's call rings now")
async def route_call(body: RouteIn, context: Kamailio, session: DbSession, publisher: Publisher) -> RouteOut:
    decided = await routing.route(
        session,
        publisher,
        context.settings,
        panel=body.panel,
        number=body.number,
        sip_call_id=body.call_id,
        node=body.node,
    )
    return RouteOut.model_validate(decided.as_json())


class EventIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    event: Literal["answered", "finished", "tick", "node_started", "node_stopped"]
    call_id: Annotated[str, Field(max_length=255)] = ""
    user: Annotated[str, Field(max_length=64)] = ""
    code: Annotated[int, Field(ge=0, le=699)] = 0
    canceled: Annotated[int, Field(ge=0, le=1)] = 0
    node: Annotated[str, Field(max_length=64)] = ""


@router.post("/events", status_code=204, response_class=Response, summary="A call report from Kamailio")
async def call_event(body: EventIn, _context: Kamailio, session: DbSession, publisher: Publisher) -> Response:
    await routing.report(
        session,
        publisher,
        event=body.event,
        sip_call_id=body.call_id,
        user=body.user,
        code=body.code,
        canceled=bool(body.canceled),
        node=body.node,
    )
    return Response(status_code=204)
