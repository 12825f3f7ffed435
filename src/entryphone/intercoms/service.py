"""Rules of intercoms: create, partial update, soft delete. Never commits.

Create and update take `IntercomChanges` (intercoms/changes.py), typed and bounded by the API's
request schema; the service checks the rules that span fields, need the vocabulary or need the
database, and raises ValidationFailed with dot paths.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from entryphone import matrix as matrices
from entryphone import vocabulary
from entryphone.cameras import service as cameras
from entryphone.codes import service as codes
from entryphone.db.base import utcnow
from entryphone.errors import NotFound, ValidationFailed
from entryphone.flats import service as flats
from entryphone.groups import repository as groups_repository
from entryphone.intercoms import repository
from entryphone.intercoms.changes import IntercomChanges
from entryphone.intercoms.connection import ConnectionRow
from entryphone.intercoms.identity import normalize_mac, normalize_serial
from entryphone.models import Intercom
from entryphone.security.secretbox import SecretBox

Fail = Callable[[str, str], None]

DELETED = repository.DELETED
MAX_DEPARTMENT = 10_000
MAX_DOOR_OPEN_TIME = 3600
MAX_DURATION = 3600
MAX_DTMF = 16
MAX_FLAT_OFFSET = 99_999

# The columns a change sets as sent (title, vendor, model, serial number and MAC are set apart: the
# service normalises them first). `schema_` is the change's name of the `schema` column.
_PLAIN = (
    "external_id", "department", "department_type", "department_name", "address", "flat_offset",
    "collecting_keys", "door_open_time_general", "is_crossbar_switchers_enabled", "switch",
    "connection_type", "commutators_count", "ip", "port", "login", "group_id", "camera_id",
    "status", "tls_fingerprint", "tls_allow_self_signed",
)  # fmt: skip


async def get_live(session: AsyncSession, intercom_id: int, *, for_update: bool = False) -> Intercom:
    """The intercom unless missing or deleted (NotFound). `for_update` locks its row (PostgreSQL)
    until the transaction ends, so concurrent updates apply one after the other."""
    intercom = await repository.get(session, intercom_id, for_update=for_update)
    if intercom is None or intercom.status == DELETED:
        raise NotFound()
    return intercom


async def require_live_connection(session: AsyncSession, intercom_id: int) -> ConnectionRow:
    """`get_live` narrowed to reaching the device, in one cheap read (NotFound as `get_live`)."""
    found = await repository.live_connection(session, intercom_id)
    if found is None:
        raise NotFound()
    return found


async def create(
    session: AsyncSession, secrets: SecretBox, fields: IntercomChanges, *, source: str = "manual"
) -> Intercom:
    """Create an intercom (status `empty` unless given). Requires title (or name) and vendor; creates
    the flat records of flat_from..flat_to. `source` records who created it (manual, auto, ...)."""
    errors: dict[str, list[str]] = {}
    if not (fields.title or fields.name):
        errors["title"] = ["The title field is required."]
    if not fields.vendor:
        errors["vendor"] = ["The vendor field is required."]
    if errors or fields.vendor is None:
        raise ValidationFailed(errors)
    intercom = Intercom(title="", vendor=fields.vendor, status="empty", source=source)
    await _apply(session, secrets, intercom, fields, creating=True)
    return intercom


async def update(
    session: AsyncSession, secrets: SecretBox, intercom: Intercom, changes: IntercomChanges
) -> Intercom:
    """Partial update: only the fields sent in `changes` change. Get the intercom with
    `get_live(..., for_update=True)` first so concurrent updates never lose one another's changes."""
    await _apply(session, secrets, intercom, changes, creating=False)
    return intercom


async def soft_delete(session: AsyncSession, intercom: Intercom) -> None:
    """Status `deleted` (its MAC and serial become free), flats with their residents and codes
    removed, its camera marked deleted (the archive stays). Keys stay for the record."""
    intercom.status = DELETED
    intercom.deleted_at = utcnow()
    await flats.remove_all_flats(session, intercom)
    await codes.delete_all_of_intercom(session, intercom.id)
    if intercom.camera_id is not None:
        camera = await cameras.get_any(session, intercom.camera_id)
        if camera is not None and camera.status != "deleted":
            await cameras.soft_delete(session, camera)
    await session.flush()


async def key_counts(session: AsyncSession, intercom_ids: Sequence[int]) -> dict[int, int]:
    return await repository.key_counts(session, intercom_ids)


def is_sip_password_installed(intercom: Intercom) -> bool:
    return intercom.sip_password_encrypted is not None


def is_password_installed(intercom: Intercom) -> bool:
    return intercom.password_encrypted is not None


async def _apply(
    session: AsyncSession, secrets: SecretBox, intercom: Intercom, changes: IntercomChanges, *, creating: bool
) -> None:
    sent = changes.sent
    if changes.name and not changes.title:
        changes = changes.but(title=changes.name)
        sent = changes.sent
    exclude_id = None if creating else intercom.id
    errors: dict[str, list[str]] = {}

    def fail(path: str, message: str) -> None:
        errors.setdefault(path, []).append(message)

    # The values stored as sent, but for those the rules normalise below (title, model, MAC, serial).
    values: dict[str, Any] = {name: getattr(changes, name) for name in (*_PLAIN, "vendor") if name in sent}
    if "schema_" in sent:
        values["schema"] = changes.schema_
    if "title" in sent:
        if changes.title is None or not changes.title.strip():
            fail("title", "The title field is required.")
        else:
            values["title"] = changes.title.strip()
    vendor = changes.vendor if changes.vendor is not None else intercom.vendor
    if "vendor" in sent and (changes.vendor is None or not vocabulary.is_known_vendor(changes.vendor)):
        fail("vendor", "The selected vendor is invalid.")
    if "model" in sent:
        values["model"] = changes.model
    if changes.model is not None and vocabulary.is_known_vendor(vendor):
        model = vocabulary.canonical_model(vendor, changes.model)
        if model is None:
            fail("model", f"The model is not supported by the vendor {vendor}.")
        values["model"] = model
    elif (
        not creating
        and "model" not in sent
        and vendor != intercom.vendor
        and intercom.model is not None
        and vocabulary.is_known_vendor(vendor)
        and not vocabulary.model_belongs_to_vendor(vendor, intercom.model)
    ):
        # A model of the old vendor would make the intercom inconsistent (and refuse later changes):
        # the caller names the new vendor's model, or sends "model": null to clear it.
        fail("model", f"The model field is required when the vendor changes (a model of {vendor}).")
    await _check_identity(session, intercom, changes, values, vendor, exclude_id, fail)
    await _check_links(session, changes, exclude_id, fail)
    _check_choices(changes, fail)
    _check_sip(changes, fail)
    if errors:
        raise ValidationFailed(errors)

    for name, value in values.items():
        setattr(intercom, name, value)
    _apply_secrets(secrets, intercom, changes)
    if creating:
        session.add(intercom)
    await session.flush()
    if creating:  # a new intercom has no device state yet: offline, never seen
        set_committed_value(intercom, "is_online", False)
        set_committed_value(intercom, "last_seen_at", None)

    if "matrix" in sent:
        intercom.matrix = await _validated_matrix(session, intercom, changes.matrix)  # typed elements
    elif intercom.matrix and (triggers := [name for name in _MATRIX_TRIGGERS if name in sent]):
        # The stored matrix must still hold after a move, a switch or a count change; its faults are
        # the sent field's (a billing group move cannot name matrix.0.items.0.0).
        try:
            stored = [matrices.MatrixElement.stored(element) for element in intercom.matrix]
            intercom.matrix = await _validated_matrix(session, intercom, stored)
        except ValidationFailed as failed:
            raise ValidationFailed(
                {triggers[0]: [f"The stored matrix does not allow it: {m}" for m in _messages(failed)]}
            ) from failed
    if "flat_from" in sent or "flat_to" in sent:
        await flats.sync_flat_range(
            session,
            intercom,
            changes.flat_from if "flat_from" in sent else intercom.flat_from,
            changes.flat_to if "flat_to" in sent else intercom.flat_to,
            force=bool(changes.force_flats_removal),
        )
    if changes.connection_type is not None:
        await flats.apply_connection_type(session, intercom)
    await session.flush()


_MATRIX_TRIGGERS = ("group_id", "switch", "commutators_count")


def _messages(failed: ValidationFailed) -> list[str]:
    return [message for messages in failed.errors.values() for message in messages]


async def _validated_matrix(
    session: AsyncSession, intercom: Intercom, elements: Sequence[matrices.MatrixElement] | None
) -> list[Any] | None:
    if not elements:
        return None
    taken: dict[int, str] = {}
    if intercom.group_id is not None:
        for other_id, title, other in await repository.live_matrices_in_group(
            session, intercom.group_id, intercom.id
        ):
            for flat in matrices.wired_flats(other):
                taken.setdefault(flat, f'intercom {other_id} "{title}"')
    return matrices.validate_matrix(
        elements, switch=intercom.switch, commutators_count=intercom.commutators_count, taken=taken
    )


async def _check_identity(
    session: AsyncSession,
    intercom: Intercom,
    changes: IntercomChanges,
    values: dict[str, Any],
    vendor: str,
    exclude_id: int | None,
    fail: Fail,
) -> None:
    """The unique rules (MAC; vendor + serial number; external_id), checked whichever of their fields
    the body sends: a clash is reported on a field that was sent, never left to the database. The
    normalised MAC and serial number go into `values`."""
    sent = changes.sent
    if "mac" in sent:
        values["mac"] = changes.mac
    if changes.mac is not None:
        try:
            values["mac"] = normalize_mac(changes.mac)
        except ValueError as exc:
            fail("mac", str(exc))
        else:
            if await repository.live_with_mac(session, values["mac"], exclude_id) is not None:
                fail("mac", "The mac has already been taken by another intercom.")
    serial_ok = True
    if "serial_number" in sent:
        values["serial_number"] = changes.serial_number
    if changes.serial_number is not None:
        try:
            values["serial_number"] = normalize_serial(changes.serial_number)
        except ValueError as exc:
            fail("serial_number", str(exc))
            serial_ok = False
    serial = values["serial_number"] if "serial_number" in sent else intercom.serial_number
    vendor_changed = "vendor" in sent and vendor != intercom.vendor
    if (
        serial_ok
        and serial is not None
        and ("serial_number" in sent or vendor_changed)
        and await repository.live_with_serial(session, vendor, serial, exclude_id) is not None
    ):
        field = "serial_number" if "serial_number" in sent else "vendor"
        fail(field, f"The serial_number {serial} has already been taken by another {vendor} intercom.")
    external_id = changes.external_id
    if external_id is not None and await repository.with_external_id(session, external_id, exclude_id):
        fail("external_id", "The external_id has already been taken.")


async def _check_links(
    session: AsyncSession, changes: IntercomChanges, exclude_id: int | None, fail: Fail
) -> None:
    if changes.group_id is not None:
        group = await groups_repository.get(session, changes.group_id)
        if group is None:
            fail("group_id", "The selected group_id is invalid.")
        elif not group.is_house:
            fail("group_id", "Intercoms can be placed only in a house group (is_house).")
    if changes.camera_id is not None:
        camera = await cameras.get_any(session, changes.camera_id)
        if camera is None or camera.status == "deleted":
            fail("camera_id", "The selected camera_id is invalid.")
        elif await repository.live_with_camera(session, camera.id, exclude_id) is not None:
            fail("camera_id", "The camera already belongs to another intercom.")


def _check_choices(changes: IntercomChanges, fail: Fail) -> None:
    """Values that must be words of the vocabulary (their type and length the schema checked)."""
    choices = {
        "department_type": (changes.department_type, vocabulary.DEPARTMENT_TYPES),
        "connection_type": (changes.connection_type, vocabulary.CONNECTION_TYPES),
        "schema": (changes.schema_, vocabulary.DEVICE_SCHEMAS),
    }
    for name, (value, allowed) in choices.items():
        if value is not None and value not in vocabulary.keys(allowed):
            fail(name, f"The selected {name} is invalid.")
    if changes.switch is not None and vocabulary.switch_type(changes.switch) is None:
        fail("switch", "The selected switch is invalid.")
    if "status" in changes.sent and changes.status not in vocabulary.SETTABLE_INTERCOM_STATUSES:
        allowed_statuses = ", ".join(sorted(vocabulary.SETTABLE_INTERCOM_STATUSES))
        fail("status", f"The status must be one of {allowed_statuses} (delete with DELETE).")


def _check_sip(changes: IntercomChanges, fail: Fail) -> None:
    """A relay named twice among the DTMF codes (each item's bounds the schema checked)."""
    options = changes.sip_options
    if options is not None and options.dtmf is not None:
        seen: set[int] = set()
        for index, item in enumerate(options.dtmf):
            if item.id in seen:
                fail(f"sip_options.dtmf.{index}.id", f"The relay id {item.id} appears twice.")
            seen.add(item.id)


def _apply_secrets(secrets: SecretBox, intercom: Intercom, changes: IntercomChanges) -> None:
    sent = changes.sent
    if "sip_credentials" in sent:
        credentials = changes.sip_credentials
        if credentials is None:
            intercom.sip_server = intercom.sip_port = intercom.sip_login = None
            intercom.sip_password_encrypted = None
        else:
            intercom.sip_server = credentials.server
            intercom.sip_port = credentials.port
            intercom.sip_login = credentials.login
            intercom.sip_password_encrypted = secrets.encrypt(credentials.password)
    if "sip_options" in sent:
        # null clears every option; otherwise sent keys merge, a key sent as null clears that key
        # and {} changes nothing.
        options = changes.sip_options
        if options is None:
            intercom.sip_options = None
        else:
            merged = {**(intercom.sip_options or {}), **options.model_dump(exclude_unset=True)}
            intercom.sip_options = {key: value for key, value in merged.items() if value is not None} or None
    if "password" in sent:
        password = changes.password
        intercom.password_encrypted = secrets.encrypt(password) if password else None


# Reads the API shows as stored (no rule applies to them): the repository's, offered here so that
# routes call services only.
list_query = repository.list_query
