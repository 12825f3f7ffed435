"""Dependencies every surface shares: the app context, a database session per request, the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.accounts import service as accounts
from entryphone.accounts.service import Principal
from entryphone.context import AppContext
from entryphone.errors import Unauthenticated, ValidationFailed
from entryphone.models import Role


def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


# Dependencies are `async def` even when they do not await: FastAPI runs a plain `def` dependency
# in a worker thread.
async def _context(request: Request) -> AppContext:
    return get_context(request)


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the handler returns, rolled back if it raises."""
    context = get_context(request)
    async with context.sessions() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


# scope="function": the commit happens before the reply is sent, so the next request sees the write.
DbSession = Annotated[AsyncSession, Depends(_session, scope="function")]
Context = Annotated[AppContext, Depends(_context)]


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Unauthenticated()
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 512:
        raise Unauthenticated()
    return token


def _surface(role: Role):  # type: ignore[no-untyped-def]
    async def dependency(
        session: DbSession,
        authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    ) -> Principal:
        # One statement through the request's session; last_used_at is written only when due.
        return await accounts.authenticate(session, bearer_token(authorization), role)

    dependency.__name__ = f"require_{role.value}"
    return dependency


def _surface_alone(role: Role):  # type: ignore[no-untyped-def]
    async def dependency(
        context: Context,
        authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    ) -> Principal:
        # Its own short transaction, over before the handler runs: for routes that call a device,
        # whose commands (fleet/commands.py) own their transactions.
        async with context.sessions.begin() as session:
            return await accounts.authenticate(session, bearer_token(authorization), role)

    dependency.__name__ = f"require_{role.value}_alone"
    return dependency


AdminPrincipal = Annotated[Principal, Depends(_surface(Role.admin))]
BillingPrincipal = Annotated[Principal, Depends(_surface(Role.billing))]
ResidentPrincipal = Annotated[Principal, Depends(_surface(Role.resident))]
# The admin resolved without a request session: a route that takes it and no DbSession holds no
# database connection while it waits on a device (the client's is api/client/deps.py CallerAlone).
AdminAlone = Annotated[Principal, Depends(_surface_alone(Role.admin))]


class ClientKind(StrEnum):
    ios = "ios-cctv"
    android = "android-cctv"
    thick_legal = "thick-legal"
    web = "web"


@dataclass(frozen=True)
class ClientDevice:
    """The phone or browser making a client API call (headers X-Client and X-UUID)."""

    kind: ClientKind
    uuid: str


MAX_UUID_LENGTH = 191


async def client_device(
    x_client: Annotated[str | None, Header(alias="X-Client")] = None,
    x_uuid: Annotated[str | None, Header(alias="X-UUID")] = None,
) -> ClientDevice:
    errors: dict[str, list[str]] = {}
    kind: ClientKind | None = None
    if not x_client:
        errors["X-Client"] = ["The X-Client header is required."]
    else:
        try:
            kind = ClientKind(x_client)
        except ValueError:
            allowed = ", ".join(item.value for item in ClientKind)
            errors["X-Client"] = [f"The X-Client header must be one of: {allowed}."]
    uuid = (x_uuid or "").strip()
    if not uuid:
        errors["X-UUID"] = ["The X-UUID header is required."]
    elif len(uuid) > MAX_UUID_LENGTH or not uuid.isprintable():
        errors["X-UUID"] = [f"The X-UUID header must be at most {MAX_UUID_LENGTH} printable characters."]
    if errors or kind is None:
        raise ValidationFailed(errors)
    return ClientDevice(kind=kind, uuid=uuid)


ClientHeaders = Annotated[ClientDevice, Depends(client_device)]
