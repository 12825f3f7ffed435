"""PATCH /api/v1/billing/intercom-flats: the call lines of one flat."""

from __future__ import annotations

from fastapi import APIRouter

from entryphone.api.billing.schemas import FlatLinesUpdate, FlatOut, FlatPropertiesOut
from entryphone.api.deps import BillingPrincipal, DbSession
from entryphone.billing import flat_lines
from entryphone.billing.flat_lines import FlatView
from entryphone.flats.service import LineFlags

router = APIRouter(tags=["billing: flats"])

LINE_FIELDS = (
    "is_smartphone_sip_line_available",
    "is_landline_sip_line_available",
    "is_analog_line_available",
)


def flat_out(view: FlatView) -> FlatOut:
    flat = view.flat
    return FlatOut(
        id=flat.id,
        flat=flat.flat,
        key_count=view.key_count,
        users_count=view.users_count,
        intercom_id=flat.intercom_id,
        properties=FlatPropertiesOut.model_validate(flat_lines.line_flags(flat)),
    )


@router.patch("/intercom-flats", response_model=FlatOut, summary="Update the call lines of an intercom flat")
async def update_intercom_flat(body: FlatLinesUpdate, actor: BillingPrincipal, session: DbSession) -> FlatOut:
    flags = LineFlags.model_validate(body.model_dump(include=set(LINE_FIELDS)))
    view = await flat_lines.update_flat_lines(
        session,
        actor,
        intercom_id=body.intercom_id,
        flat_number=body.flat,
        flat_id=body.flat_id,
        flags=flags,
        log_extra=body.log_extra,
    )
    return flat_out(view)
