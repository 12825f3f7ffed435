"""POST /api/v1/billing/user/manage/intercoms: a resident's flats, as billing knows them."""

from __future__ import annotations

from fastapi import APIRouter, Response

from entryphone.api.billing.schemas import SyncItem, UserIntercomsManage
from entryphone.api.deps import BillingPrincipal, DbSession
from entryphone.billing import residents
from entryphone.flats.service import Permissions

router = APIRouter(tags=["billing: residents"])

PERMISSION_FIELDS = (
    "is_restricted_live",
    "is_restricted_archive",
    "is_open_door_key",
    "is_open_door_code",
    "is_open_door_app",
    "is_open_door_face",
)


def sync_item(item: SyncItem) -> residents.SyncItem:
    return residents.SyncItem(
        flat=item.flat,
        intercom_id=item.intercom_id,
        intercom_external_id=item.intercom_external_id,
        permissions=Permissions.model_validate(item.model_dump(include=set(PERMISSION_FIELDS))),
        landline_number=item.landline_number,
    )


@router.post(
    "/user/manage/intercoms",
    status_code=204,
    response_class=Response,
    summary="Sync a resident's intercom flats (creates the resident when missing)",
)
async def manage_user_intercoms(
    body: UserIntercomsManage, actor: BillingPrincipal, session: DbSession
) -> Response:
    await residents.manage_user_intercoms(
        session,
        actor,
        login=body.login,
        sync=[sync_item(item) for item in body.sync],
        delete=body.delete,
        log_extra=body.log_extra,
    )
    return Response(status_code=204)
