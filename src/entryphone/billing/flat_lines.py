"""PATCH /api/v1/billing/intercom-flats: which call lines of one flat are available."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.accounts.service import Principal
from entryphone.audit import service as audit
from entryphone.billing import repository
from entryphone.errors import NotFound, ValidationFailed
from entryphone.flats import repository as flats_repository
from entryphone.flats import service as flats
from entryphone.models import IntercomFlat


@dataclass(frozen=True)
class FlatView:
    flat: IntercomFlat
    key_count: int
    users_count: int


def line_flags(flat: IntercomFlat) -> dict[str, bool]:
    return {name: bool(getattr(flat, name)) for name in flats.LINE_FLAGS}


async def update_flat_lines(
    session: AsyncSession,
    actor: Principal,
    *,
    intercom_id: int,
    flat_number: int | None,
    flat_id: int | None,
    flags: flats.LineFlags,
    log_extra: Any = None,
) -> FlatView:
    """Set the given line flags (keys of flats.LINE_FLAGS) of a flat named by number xor record id."""
    if flat_number is not None and flat_id is not None:
        raise ValidationFailed(
            {
                "flat": ["The flat field prohibits flat_id from being present."],
                "flat_id": ["The flat_id field prohibits flat from being present."],
            }
        )
    if flat_number is None and flat_id is None:
        raise ValidationFailed(
            {
                "flat": ["The flat field is required when flat_id is not present."],
                "flat_id": ["The flat_id field is required when flat is not present."],
            }
        )
    intercom = await repository.by_id(session, intercom_id, lock=True)
    if intercom is None or intercom.status == repository.DELETED:
        raise ValidationFailed.one("intercom_id", "The selected intercom_id is invalid.")
    try:
        if flat_id is not None:
            flat = await flats.get_flat(session, intercom.id, flat_id)
        else:
            assert flat_number is not None
            flat = await flats.get_flat_by_number(session, intercom.id, flat_number)
    except NotFound as exc:
        path = "flat_id" if flat_id is not None else "flat"
        raise ValidationFailed.one(path, f"The selected {path} is not a flat of this intercom.") from exc

    before = line_flags(flat)
    flats.update_line_flags(intercom, flat, flags)
    await session.flush()
    changes = audit.diff(before, line_flags(flat))
    if changes:
        await audit.record(
            session,
            actor,
            action="intercom_flat.updated",
            subject_type="intercom_flat",
            subject_id=flat.id,
            subject_label=f"flat {flat.flat}",
            intercom_id=intercom.id,
            changes=changes,
            log_extra=log_extra,
        )
    key_count, users_count = (await flats_repository.counts(session, [flat.id]))[flat.id]
    return FlatView(flat=flat, key_count=key_count, users_count=users_count)
