"""/api/admin/v1/intercoms/{intercom}/audit: what billing (and other callers) changed on an intercom."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from entryphone.api.deps import AdminPrincipal, DbSession
from entryphone.api.formatting import plain
from entryphone.api.pagination import Page, PageParams, build_page, page_params, paginate
from entryphone.api.types import IdPath
from entryphone.audit import service
from entryphone.models.audit_entry import AuditEntry

router = APIRouter(prefix="/intercoms", tags=["admin: audit"])


class AuditActorOut(BaseModel):
    surface: str
    account_id: int | None
    login: str | None
    token_id: int | None


class AuditEntryOut(BaseModel):
    id: int
    created_at: str | None
    action: str
    subject_type: str
    subject_id: int
    subject_label: str
    intercom_id: int | None
    actor: AuditActorOut
    changes: dict[str, dict[str, Any]]
    log_extra: Any

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryOut:
        return cls(
            id=entry.id,
            created_at=plain(entry.created_at),
            action=entry.action,
            subject_type=entry.subject_type,
            subject_id=entry.subject_id,
            subject_label=entry.subject_label,
            intercom_id=entry.intercom_id,
            actor=AuditActorOut(
                surface=entry.surface,
                account_id=entry.actor_account_id,
                login=entry.actor_login,
                token_id=entry.actor_token_id,
            ),
            changes=entry.changes,
            log_extra=entry.log_extra,
        )


@router.get(
    "/{intercom:int}/audit",
    response_model=Page[AuditEntryOut],
    summary="The audit trail of an intercom, newest first (deleted intercoms included)",
)
async def intercom_audit(
    request: Request,
    intercom: IdPath,
    _admin: AdminPrincipal,
    session: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[AuditEntryOut]:
    result = await paginate(session, await service.intercom_trail(session, intercom), params)
    items = [AuditEntryOut.of(entry) for entry in result.items]
    return build_page(request, items, result.total, params)
