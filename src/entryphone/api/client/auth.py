"""POST /api/v1/token: a resident logs in from an app and receives a bearer token."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, StringConstraints

from entryphone.accounts import service as accounts
from entryphone.api.client_address import client_address
from entryphone.api.deps import ClientHeaders, Context, DbSession
from entryphone.api.formatting import iso
from entryphone.api.types import Id, Text
from entryphone.config import Settings
from entryphone.errors import TooManyRequests, ValidationFailed

router = APIRouter(tags=["client: auth"])

Password = Annotated[str, StringConstraints(min_length=1, max_length=255)]


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    login: Annotated[Text, StringConstraints(min_length=1)]
    password: Password
    session_id: Id | None = None


class UserOut(BaseModel):
    id: int
    name: str
    login: str
    created_at: str
    updated_at: str
    expired_at: str | None


class TokenOut(BaseModel):
    user: UserOut
    access_token: str


def login_policy(settings: Settings) -> accounts.LoginPolicy:
    """The sign-in throttles of every password login (this one and the operator's console)."""
    return accounts.LoginPolicy(
        max_sessions=settings.max_sessions_per_user,
        max_failures=settings.login_max_failures,
        lockout=timedelta(seconds=settings.login_lockout_seconds),
        max_failures_per_address=settings.login_max_failures_per_address,
    )


@router.post("/token", response_model=TokenOut, summary="Obtain a token (resident login)")
async def obtain_token(
    body: TokenRequest, device: ClientHeaders, context: Context, session: DbSession, request: Request
) -> TokenOut:
    settings = context.settings
    policy = login_policy(settings)
    try:
        account, issued = await accounts.resident_login(
            session,
            login=body.login,
            password=body.password,
            policy=policy,
            end_session_id=body.session_id,
            device_name=f"{device.kind.value}:{device.uuid}",
            address=client_address(request, settings),
        )
    except (ValidationFailed, TooManyRequests):
        # The attempt must count even though the request fails: keep the throttle row.
        await session.commit()
        raise
    return TokenOut(
        user=UserOut(
            id=account.id,
            name=account.name,
            login=account.login,
            created_at=iso(account.created_at) or "",
            updated_at=iso(account.updated_at) or "",
            expired_at=iso(account.expired_at),
        ),
        access_token=issued.token,
    )
