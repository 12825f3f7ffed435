"""POST /api/v1/billing/user/manage/intercoms: keep one resident's flats in step with billing.

`sync` attaches the resident to each listed flat (or updates the permissions sent for it); `delete`
detaches them from every flat of the listed intercoms; flats mentioned in neither are left alone.
Everything is checked before anything is written, and the request's transaction makes the whole call
all-or-nothing. Sending the same body again finds nothing to change and records nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.accounts import service as accounts
from entryphone.accounts.service import Principal
from entryphone.audit import service as audit
from entryphone.billing import repository
from entryphone.errors import NotFound, ValidationFailed
from entryphone.flats import service as flats
from entryphone.models import Account, FlatResident, Intercom, IntercomFlat, Role

SOURCE = "billing"


@dataclass(frozen=True)
class SyncItem:
    flat: int
    intercom_id: int | None = None
    intercom_external_id: str | None = None
    # Only the permissions the caller sent (not None); others keep their value.
    permissions: flats.Permissions = field(default_factory=flats.Permissions)
    landline_number: str | None = None


@dataclass(frozen=True)
class _Planned:
    index: int
    item: SyncItem
    intercom: Intercom
    flat: IntercomFlat


def resident_state(resident: FlatResident) -> dict[str, Any]:
    state: dict[str, Any] = {name: bool(getattr(resident, name)) for name in flats.PERMISSIONS}
    state["landline_number"] = resident.landline_number
    return state


async def manage_user_intercoms(
    session: AsyncSession,
    actor: Principal,
    *,
    login: str,
    sync: Sequence[SyncItem],
    delete: Sequence[int],
    log_extra: Any = None,
) -> None:
    account = await _resident_or_none(session, login)
    planned = await _plan(session, sync, delete)
    created = False
    if account is None:
        try:
            account = await accounts.create_account(session, login=login, password=None, role=Role.resident)
            created = True
        except ValidationFailed:
            # A concurrent sync for the same new login created the account first: use that one.
            account = await _resident_or_none(session, login)
            if account is None:
                raise
    if created:
        await audit.record(
            session,
            actor,
            action="account.created",
            subject_type="account",
            subject_id=account.id,
            subject_label=f"resident {login}",
            intercom_id=None,
            changes={
                "login": {"before": None, "after": login},
                "role": {"before": None, "after": "resident"},
            },
            log_extra=log_extra,
        )
    for step in planned:
        await _apply(session, actor, account, step, log_extra)
    for flat in await repository.attached_flats(session, account.id, list(dict.fromkeys(delete))):
        resident = await flats.get_resident(session, flat, account.id)
        before = resident_state(resident)
        resident_id = resident.id
        await flats.detach_resident(session, flat, account.id)
        await audit.record(
            session,
            actor,
            action="resident.detached",
            subject_type="flat_resident",
            subject_id=resident_id,
            subject_label=f"flat {flat.flat}, resident {login}",
            intercom_id=flat.intercom_id,
            changes={"attached": {"before": True, "after": False}, **audit.diff(before, {})},
            log_extra=log_extra,
        )


async def _resident_or_none(session: AsyncSession, login: str) -> Account | None:
    try:
        account = await accounts.require_account(session, login)
    except NotFound:
        return None
    if account.role != Role.resident.value:
        raise ValidationFailed.one("login", "The login belongs to an account that is not a resident.")
    return account


async def _plan(session: AsyncSession, sync: Sequence[SyncItem], delete: Sequence[int]) -> list[_Planned]:
    """Resolve every item to a live intercom and one of its flats, collecting every error at once."""
    errors: dict[str, list[str]] = {}
    by_id = await repository.by_ids(
        session, [item.intercom_id for item in sync if item.intercom_id is not None] + list(delete)
    )
    by_external = await repository.by_external_ids(
        session, [item.intercom_external_id for item in sync if item.intercom_external_id is not None]
    )
    planned: list[_Planned] = []
    seen: dict[tuple[int, int], int] = {}
    for index, item in enumerate(sync):
        prefix = f"sync.{index}"
        intercom = _resolve(item, prefix, by_id, by_external, errors)
        if intercom is None:
            continue
        try:
            flat = await flats.get_flat_by_number(session, intercom.id, item.flat)
        except NotFound:
            errors[f"{prefix}.flat"] = [f"The intercom has no flat {item.flat}."]
            continue
        key = (intercom.id, flat.id)
        if key in seen:
            errors[prefix] = [f"The same intercom flat is already listed at sync.{seen[key]}."]
            continue
        seen[key] = index
        planned.append(_Planned(index=index, item=item, intercom=intercom, flat=flat))
    synced = {step.intercom.id for step in planned}
    for index, intercom_id in enumerate(delete):
        if intercom_id not in by_id:
            errors[f"delete.{index}"] = [f"The selected delete.{index} is invalid."]
        elif intercom_id in synced:
            errors[f"delete.{index}"] = ["The intercom cannot be both synced and deleted in one call."]
    if errors:
        raise ValidationFailed(errors)
    return planned


def _resolve(
    item: SyncItem,
    prefix: str,
    by_id: Mapping[int, Intercom],
    by_external: Mapping[str, Intercom],
    errors: dict[str, list[str]],
) -> Intercom | None:
    if item.intercom_id is not None and item.intercom_external_id is not None:
        errors[f"{prefix}.intercom_id"] = [
            "The intercom_id field prohibits intercom_external_id from being present."
        ]
        errors[f"{prefix}.intercom_external_id"] = [
            "The intercom_external_id field prohibits intercom_id from being present."
        ]
        return None
    if item.intercom_id is not None:
        found, path = by_id.get(item.intercom_id), f"{prefix}.intercom_id"
    elif item.intercom_external_id is not None:
        found, path = by_external.get(item.intercom_external_id), f"{prefix}.intercom_external_id"
    else:
        errors[f"{prefix}.intercom_id"] = [
            "The intercom_id field is required when intercom_external_id is not present."
        ]
        return None
    if found is None or found.status == repository.DELETED:
        errors[path] = [f"The selected {path} is invalid."]
        return None
    return found


async def _apply(
    session: AsyncSession, actor: Principal, account: Account, step: _Planned, log_extra: Any
) -> None:
    try:
        existing: FlatResident | None = await flats.get_resident(session, step.flat, account.id)
    except NotFound:
        existing = None
    before = resident_state(existing) if existing is not None else {}
    resident = await flats.attach_resident(
        session,
        step.flat,
        account.id,
        source=SOURCE,
        permissions=step.item.permissions,
        landline_number=step.item.landline_number,
        path=f"sync.{step.index}",
    )
    changes = audit.diff(before, resident_state(resident))
    if existing is not None and not changes:
        return
    if existing is None:
        changes = {"attached": {"before": False, "after": True}, **changes}
    await audit.record(
        session,
        actor,
        action="resident.attached" if existing is None else "resident.updated",
        subject_type="flat_resident",
        subject_id=resident.id,
        subject_label=f"flat {step.flat.flat}, resident {account.login}",
        intercom_id=step.intercom.id,
        changes=changes,
        log_extra=log_extra,
    )
