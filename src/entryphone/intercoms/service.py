"""Rules of intercoms: create, partial update, soft delete. Never commits.

`fields` / `changes` map field names of the admin intercom object to already-typed values
(see `FIELDS`); the service checks every semantic rule and raises ValidationFailed with dot paths.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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

# Every field create/update understands. `name` is the billing spelling of `title`;
# `force_flats_removal` allows removing flats that still hold keys or residents.
FIELDS = frozenset(
    {
        "title", "name", "vendor", "model", "serial_number", "mac", "external_id", "group_id", "camera_id",
        "status", "department", "department_type", "department_name", "address", "flat_from", "flat_to",
        "flat_offset", "collecting_keys", "door_open_time_general", "sip_credentials", "sip_options",
        "is_crossbar_switchers_enabled", "switch", "connection_type", "commutators_count", "matrix",
        "schema", "ip", "port", "login", "password", "force_flats_removal", "tls_fingerprint",
        "tls_allow_self_signed",
    }
)  # fmt: skip
_PLAIN = (
    "external_id", "department", "department_type", "department_name", "address", "flat_offset",
    "collecting_keys", "door_open_time_general", "is_crossbar_switchers_enabled", "switch",
    "connection_type", "commutators_count", "schema", "ip", "port", "login", "group_id", "camera_id",
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
    session: AsyncSession, secrets: SecretBox, fields: Mapping[str, Any], *, source: str = "manual"
) -> Intercom:
    """Create an intercom (status `empty` unless given). Requires title (or name) and vendor; creates
    the flat records of flat_from..flat_to. `source` records who created it (manual, auto, ...)."""
    fields = dict(fields)
    errors: dict[str, list[str]] = {}
    if not (fields.get("title") or fields.get("name")):
        errors["title"] = ["The title field is required."]
    if not fields.get("vendor"):
        errors["vendor"] = ["The vendor field is required."]
    if errors:
        raise ValidationFailed(errors)
    intercom = Intercom(title="", vendor=fields["vendor"], status="empty", source=source)
    await _apply(session, secrets, intercom, fields, creating=True)
    return intercom


async def update(
    session: AsyncSession, secrets: SecretBox, intercom: Intercom, changes: Mapping[str, Any]
) -> Intercom:
    """Partial update: only the keys present in `changes` change. Get the intercom with
    `get_live(..., for_update=True)` first so concurrent updates never lose one another's changes."""
    await _apply(session, secrets, intercom, dict(changes), creating=False)
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
    session: AsyncSession, secrets: SecretBox, intercom: Intercom, changes: dict[str, Any], *, creating: bool
) -> None:
    unknown = set(changes) - FIELDS
    if unknown:
        raise ValueError(f"unknown intercom fields: {sorted(unknown)}")
    if changes.get("name") and not changes.get("title"):
        changes["title"] = changes["name"]
    changes.pop("name", None)
    exclude_id = None if creating else intercom.id
    errors: dict[str, list[str]] = {}

    def fail(path: str, message: str) -> None:
        errors.setdefault(path, []).append(message)

    if "title" in changes and not (isinstance(changes["title"], str) and changes["title"].strip()):
        fail("title", "The title field is required.")
    vendor = changes.get("vendor", intercom.vendor)
    if "vendor" in changes and not vocabulary.is_known_vendor(vendor):
        fail("vendor", "The selected vendor is invalid.")
    if changes.get("model") is not None and vocabulary.is_known_vendor(vendor):
        model = vocabulary.canonical_model(vendor, changes["model"])
        if model is None:
            fail("model", f"The model is not supported by the vendor {vendor}.")
        changes["model"] = model
    elif (
        not creating
        and "model" not in changes
        and vendor != intercom.vendor
        and intercom.model is not None
        and vocabulary.is_known_vendor(vendor)
        and not vocabulary.model_belongs_to_vendor(vendor, intercom.model)
    ):
        # A model of the old vendor would make the intercom inconsistent (and refuse later changes):
        # the caller names the new vendor's model, or sends "model": null to clear it.
        fail("model", f"The model field is required when the vendor changes (a model of {vendor}).")
    await _check_identity(session, intercom, changes, vendor, exclude_id, fail)
    await _check_links(session, changes, exclude_id, fail)
    _check_plain(changes, fail)
    _check_sip(changes, fail)
    if errors:
        raise ValidationFailed(errors)

    for name in ("title", "vendor", "model", "serial_number", "mac", *_PLAIN):
        if name in changes:
            setattr(intercom, name, changes[name].strip() if name == "title" else changes[name])
    _apply_secrets(secrets, intercom, changes)
    if creating:
        session.add(intercom)
    await session.flush()
    if creating:  # a new intercom has no device state yet: offline, never seen
        set_committed_value(intercom, "is_online", False)
        set_committed_value(intercom, "last_seen_at", None)

    if "matrix" in changes:
        intercom.matrix = await _validated_matrix(session, intercom, changes["matrix"])  # typed elements
    elif intercom.matrix and (triggers := [name for name in _MATRIX_TRIGGERS if name in changes]):
        # The stored matrix must still hold after a move, a switch or a count change; its faults are
        # the sent field's (a billing group move cannot name matrix.0.items.0.0).
        try:
            stored = [matrices.MatrixElement.stored(element) for element in intercom.matrix]
            intercom.matrix = await _validated_matrix(session, intercom, stored)
        except ValidationFailed as failed:
            raise ValidationFailed(
                {triggers[0]: [f"The stored matrix does not allow it: {m}" for m in _messages(failed)]}
            ) from failed
    if "flat_from" in changes or "flat_to" in changes:
        await flats.sync_flat_range(
            session,
            intercom,
            changes.get("flat_from", intercom.flat_from),
            changes.get("flat_to", intercom.flat_to),
            force=bool(changes.get("force_flats_removal")),
        )
    if changes.get("connection_type") is not None:
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
    changes: dict[str, Any],
    vendor: str,
    exclude_id: int | None,
    fail: Fail,
) -> None:
    """The unique rules (MAC; vendor + serial number; external_id), checked whichever of their fields
    the body sends: a clash is reported on a field that was sent, never left to the database."""
    if changes.get("mac") is not None:
        try:
            changes["mac"] = normalize_mac(changes["mac"])
        except ValueError as exc:
            fail("mac", str(exc))
        else:
            if await repository.live_with_mac(session, changes["mac"], exclude_id) is not None:
                fail("mac", "The mac has already been taken by another intercom.")
    serial_ok = True
    if changes.get("serial_number") is not None:
        try:
            changes["serial_number"] = normalize_serial(changes["serial_number"])
        except ValueError as exc:
            fail("serial_number", str(exc))
            serial_ok = False
    serial = changes.get("serial_number", intercom.serial_number)
    vendor_changed = "vendor" in changes and vendor != intercom.vendor
    if (
        serial_ok
        and serial is not None
        and ("serial_number" in changes or vendor_changed)
        and await repository.live_with_serial(session, vendor, serial, exclude_id) is not None
    ):
        field = "serial_number" if "serial_number" in changes else "vendor"
        fail(field, f"The serial_number {serial} has already been taken by another {vendor} intercom.")
    external_id = changes.get("external_id")
    if external_id is not None and await repository.with_external_id(session, external_id, exclude_id):
        fail("external_id", "The external_id has already been taken.")


async def _check_links(
    session: AsyncSession, changes: dict[str, Any], exclude_id: int | None, fail: Fail
) -> None:
    if changes.get("group_id") is not None:
        group = await groups_repository.get(session, changes["group_id"])
        if group is None:
            fail("group_id", "The selected group_id is invalid.")
        elif not group.is_house:
            fail("group_id", "Intercoms can be placed only in a house group (is_house).")
    if changes.get("camera_id") is not None:
        camera = await cameras.get_any(session, changes["camera_id"])
        if camera is None or camera.status == "deleted":
            fail("camera_id", "The selected camera_id is invalid.")
        elif await repository.live_with_camera(session, camera.id, exclude_id) is not None:
            fail("camera_id", "The camera already belongs to another intercom.")


def _check_plain(changes: dict[str, Any], fail: Fail) -> None:
    def in_range(name: str, low: int, high: int) -> None:
        value = changes.get(name)
        if value is not None and not low <= value <= high:
            fail(name, f"The {name} must be between {low} and {high}.")

    in_range("department", 1, MAX_DEPARTMENT)
    in_range("door_open_time_general", 1, MAX_DOOR_OPEN_TIME)
    in_range("flat_offset", 0, MAX_FLAT_OFFSET)
    in_range("commutators_count", 0, matrices.MAX_COMMUTATORS)
    in_range("port", 1, 65535)
    choices = {
        "department_type": vocabulary.DEPARTMENT_TYPES,
        "connection_type": vocabulary.CONNECTION_TYPES,
        "schema": vocabulary.DEVICE_SCHEMAS,
    }
    for name, allowed in choices.items():
        if changes.get(name) is not None and changes[name] not in vocabulary.keys(allowed):
            fail(name, f"The selected {name} is invalid.")
    if changes.get("switch") is not None and vocabulary.switch_type(changes["switch"]) is None:
        fail("switch", "The selected switch is invalid.")
    if "status" in changes and changes["status"] not in vocabulary.SETTABLE_INTERCOM_STATUSES:
        allowed_statuses = ", ".join(sorted(vocabulary.SETTABLE_INTERCOM_STATUSES))
        fail("status", f"The status must be one of {allowed_statuses} (delete with DELETE).")


def _check_sip(changes: dict[str, Any], fail: Fail) -> None:
    credentials = changes.get("sip_credentials")
    if credentials is not None:
        for part in ("server", "port", "login", "password"):
            if credentials.get(part) in (None, ""):
                fail(f"sip_credentials.{part}", f"The sip_credentials.{part} field is required.")
        port = credentials.get("port")
        if isinstance(port, int) and not 1 <= port <= 65535:
            fail("sip_credentials.port", "The sip_credentials.port must be between 1 and 65535.")
    options = changes.get("sip_options")
    if options is not None:
        dtmf = options.get("dtmf")
        if dtmf is not None:
            if len(dtmf) > MAX_DTMF:
                fail("sip_options.dtmf", f"At most {MAX_DTMF} DTMF codes.")
            seen: set[int] = set()
            for index, item in enumerate(dtmf):
                if item["id"] in seen:
                    fail(f"sip_options.dtmf.{index}.id", f"The relay id {item['id']} appears twice.")
                seen.add(item["id"])
        for name in ("talk_duration", "ring_duration"):
            value = options.get(name)
            if value is not None and not 1 <= value <= MAX_DURATION:
                fail(f"sip_options.{name}", f"The sip_options.{name} must be between 1 and {MAX_DURATION}.")


def _apply_secrets(secrets: SecretBox, intercom: Intercom, changes: dict[str, Any]) -> None:
    if "sip_credentials" in changes:
        credentials = changes["sip_credentials"]
        if credentials is None:
            intercom.sip_server = intercom.sip_port = intercom.sip_login = None
            intercom.sip_password_encrypted = None
        else:
            intercom.sip_server = credentials["server"]
            intercom.sip_port = credentials["port"]
            intercom.sip_login = credentials["login"]
            intercom.sip_password_encrypted = secrets.encrypt(credentials["password"])
    if "sip_options" in changes:
        # null clears every option; otherwise sent keys merge, a key sent as null clears that key
        # and {} changes nothing.
        sent = changes["sip_options"]
        if sent is None:
            intercom.sip_options = None
        else:
            merged = {**(intercom.sip_options or {}), **sent}
            intercom.sip_options = {key: value for key, value in merged.items() if value is not None} or None
    if "password" in changes:
        password = changes["password"]
        intercom.password_encrypted = secrets.encrypt(password) if password else None


# Reads the API shows as stored (no rule applies to them): the repository's, offered here so that
# routes call services only.
list_query = repository.list_query
