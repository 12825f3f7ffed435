"""Intercoms as a billing system drives them: create, update, replace the panel, move, delete, show.

The intercom rules themselves (MAC and serial format and uniqueness, vendor models, flat ranges,
groups) belong to the intercoms service; this module adds what only billing has: identification by
id / mac / external_id, group_external_id, `name` as `title`, panel replacement with `model`
required and source `auto-replace`, ONVIF credentials on the intercom's camera, and the audit trail.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.accounts.service import Principal
from entryphone.audit import service as audit
from entryphone.billing import identify
from entryphone.cameras import service as cameras
from entryphone.errors import ValidationFailed
from entryphone.groups import repository as groups_repository
from entryphone.groups import service as groups
from entryphone.intercoms import service as intercoms
from entryphone.intercoms.changes import IntercomChanges
from entryphone.models import Camera, Intercom, IntercomGroup
from entryphone.security.secretbox import SecretBox

SOURCE_CREATED = "auto"
SOURCE_REPLACED = "auto-replace"

# What the audit trail compares before and after a change (secrets only as an installed flag).
AUDITED = (
    "title", "external_id", "department", "vendor", "model", "serial_number", "mac", "status", "source",
    "flat_from", "flat_to", "group_id", "camera_id",
)  # fmt: skip


@dataclass(frozen=True)
class GroupRef:
    """group_id or group_external_id, as sent (both None: not sent)."""

    group_id: int | None = None
    group_external_id: str | None = None


@dataclass(frozen=True)
class BillingView:
    intercom: Intercom
    group: IntercomGroup | None
    group_has_items: bool
    camera: Camera | None


def snapshot(intercom: Intercom) -> dict[str, Any]:
    return {name: getattr(intercom, name) for name in AUDITED}


async def create_intercom(
    session: AsyncSession,
    secrets: SecretBox,
    actor: Principal,
    fields: IntercomChanges,
    group: GroupRef,
    *,
    log_extra: Any = None,
) -> Intercom:
    """fields: name, vendor, model, serial_number, mac, department, flat_from, flat_to, external_id."""
    if group.group_id is None and group.group_external_id is None:
        raise ValidationFailed(
            {
                "group_id": ["The group_id field is required when group_external_id is not present."],
                "group_external_id": [
                    "The group_external_id field is required when group_id is not present."
                ],
            }
        )
    group_id = await _group_id(session, group)
    with _renamed({"group_id": "group_external_id"} if group.group_external_id is not None else {}):
        intercom = await intercoms.create(
            session, secrets, fields.but(group_id=group_id), source=SOURCE_CREATED
        )
    await audit.record(
        session,
        actor,
        action="intercom.created",
        subject_type="intercom",
        subject_id=intercom.id,
        subject_label=intercom.title,
        intercom_id=intercom.id,
        changes=audit.diff({}, snapshot(intercom)),
        log_extra=log_extra,
    )
    return intercom


@dataclass(frozen=True)
class Replacement:
    """A new panel at the same entrance: new MAC and/or serial number, and its model."""

    model: str | None
    new_mac: str | None = None
    new_serial_number: str | None = None


@dataclass(frozen=True)
class OnvifCredentials:
    """The camera's ONVIF account (write-only: stored encrypted, reported as installed)."""

    login: str
    password: str
    port: int | None = None
    path: str | None = None

    def stored(self) -> str:
        """The JSON kept encrypted (fields left out are not stored)."""
        fields = {"login": self.login, "password": self.password, "port": self.port, "path": self.path}
        return json.dumps({key: value for key, value in fields.items() if value is not None}, sort_keys=True)


class _Onvif(Enum):
    UNCHANGED = "unchanged"


# An object sets ONVIF credentials, None removes them, ONVIF_UNCHANGED leaves them as they are.
ONVIF_UNCHANGED = _Onvif.UNCHANGED
OnvifChange = OnvifCredentials | None | Literal[_Onvif.UNCHANGED]


async def update_intercom(
    session: AsyncSession,
    secrets: SecretBox,
    actor: Principal,
    *,
    intercom_id: int | None,
    mac: str | None,
    changes: IntercomChanges,
    group: GroupRef,
    replacement: Replacement,
    onvif_credentials: OnvifChange = ONVIF_UNCHANGED,
    log_extra: Any = None,
) -> Intercom:
    """changes: title, department, flat_from, flat_to, external_id, model, force_flats_removal.

    The intercom is row-locked first, so concurrent PATCHes apply one after the other and each audit
    entry's `before` is what the previous one left.
    """
    extra: dict[str, object] = {}
    replacing = replacement.new_mac is not None or replacement.new_serial_number is not None
    _check_update_rules(group, replacement, replacing)
    intercom = await identify.for_change(session, intercom_id=intercom_id, mac=mac)
    before = snapshot(intercom)
    onvif_before = await _onvif_installed(session, intercom)

    renames: dict[str, str] = {}
    if group.group_id is not None or group.group_external_id is not None:
        extra["group_id"] = await _group_id(session, group)
        if group.group_external_id is not None:
            renames["group_id"] = "group_external_id"
    if replacing:
        extra["model"] = replacement.model
        if replacement.new_mac is not None:
            extra["mac"] = identify.mac_field("new_mac", replacement.new_mac)
            renames["mac"] = "new_mac"
        if replacement.new_serial_number is not None:
            extra["serial_number"] = replacement.new_serial_number
            renames["serial_number"] = "new_serial_number"
    with _renamed(renames):
        await intercoms.update(session, secrets, intercom, changes.but(**extra) if extra else changes)
    if replacing:
        intercom.source = SOURCE_REPLACED
    if onvif_credentials is not ONVIF_UNCHANGED:
        await _store_onvif(session, secrets, intercom, onvif_credentials)
    await session.flush()

    entry_changes = audit.diff(before, snapshot(intercom))
    if onvif_credentials is not ONVIF_UNCHANGED:
        entry_changes["onvif_credentials"] = {
            "before": "installed" if onvif_before else None,
            "after": "installed" if onvif_credentials is not None else None,
        }
    if entry_changes:
        await audit.record(
            session,
            actor,
            action="intercom.replaced" if replacing else "intercom.updated",
            subject_type="intercom",
            subject_id=intercom.id,
            subject_label=intercom.title,
            intercom_id=intercom.id,
            changes=entry_changes,
            log_extra=log_extra,
        )
    return intercom


async def delete_intercom(
    session: AsyncSession,
    actor: Principal,
    *,
    intercom_id: int | None,
    mac: str | None,
    log_extra: Any = None,
) -> None:
    """Soft delete: status `deleted`, flats removed, camera marked deleted; the trail keeps it."""
    intercom = await identify.for_change(session, intercom_id=intercom_id, mac=mac)
    before = snapshot(intercom)
    await intercoms.soft_delete(session, intercom)
    await audit.record(
        session,
        actor,
        action="intercom.deleted",
        subject_type="intercom",
        subject_id=intercom.id,
        subject_label=intercom.title,
        intercom_id=intercom.id,
        changes=audit.diff(before, snapshot(intercom)),
        log_extra=log_extra,
    )


async def show_intercom(
    session: AsyncSession, *, intercom_id: int | None, mac: str | None, external_id: str | None
) -> Intercom:
    return await identify.for_show(session, intercom_id=intercom_id, mac=mac, external_id=external_id)


async def view(session: AsyncSession, intercom: Intercom) -> BillingView:
    """The intercom with its group (and whether the group has sub-groups) and its camera."""
    group = await groups_repository.get(session, intercom.group_id) if intercom.group_id else None
    has_items = False
    if group is not None:
        has_items = (await groups.views(session, [group]))[0].counts.children > 0
    camera = await cameras.get_any(session, intercom.camera_id) if intercom.camera_id else None
    return BillingView(intercom=intercom, group=group, group_has_items=has_items, camera=camera)


def is_onvif_installed(camera: Camera | None) -> bool:
    return camera is not None and camera.onvif_credentials_encrypted is not None


def _check_update_rules(group: GroupRef, replacement: Replacement, replacing: bool) -> None:
    errors = _group_exclusion(group)
    if replacing and replacement.model is None:
        errors["model"] = ["The model field is required when new_mac or new_serial_number is present."]
    if errors:
        raise ValidationFailed(errors)


def _group_exclusion(group: GroupRef) -> dict[str, list[str]]:
    if group.group_id is None or group.group_external_id is None:
        return {}
    return {
        "group_id": ["The group_id field prohibits group_external_id from being present."],
        "group_external_id": ["The group_external_id field prohibits group_id from being present."],
    }


async def _group_id(session: AsyncSession, group: GroupRef) -> int:
    errors = _group_exclusion(group)
    if errors:
        raise ValidationFailed(errors)
    if group.group_id is not None:
        return group.group_id  # existence and is_house are the intercoms service's rules
    assert group.group_external_id is not None
    found = await groups_repository.get_by_external_id(session, group.group_external_id)
    if found is None:
        raise ValidationFailed.one("group_external_id", "The selected group_external_id is invalid.")
    return found.id


async def _onvif_installed(session: AsyncSession, intercom: Intercom) -> bool:
    if intercom.camera_id is None:
        return False
    return is_onvif_installed(await cameras.get_any(session, intercom.camera_id))


async def _store_onvif(
    session: AsyncSession, secrets: SecretBox, intercom: Intercom, credentials: OnvifCredentials | None
) -> None:
    """Encrypt the credentials onto the intercom's camera, creating the camera record if it has none."""
    camera = await cameras.get_any(session, intercom.camera_id) if intercom.camera_id else None
    if camera is None or camera.status == "deleted":
        if credentials is None:
            return
        camera = await cameras.create(
            session, secrets, cameras.CameraChanges(name=intercom.title, group_id=intercom.group_id)
        )
        await intercoms.update(session, secrets, intercom, IntercomChanges(camera_id=camera.id))
    camera.onvif_credentials_encrypted = (
        None if credentials is None else secrets.encrypt(credentials.stored())
    )


class _renamed:
    """Re-key the intercoms service's errors to the names this request used (new_mac, not mac)."""

    def __init__(self, renames: Mapping[str, str]) -> None:
        self.renames = renames

    def __enter__(self) -> None:
        return None

    def __exit__(self, _kind: object, error: BaseException | None, _trace: object) -> None:
        if isinstance(error, ValidationFailed) and self.renames:
            error.errors = {self.renames.get(path, path): messages for path, messages in error.errors.items()}
