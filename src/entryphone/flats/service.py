"""Rules of an intercom's flats: the range, residents and per-flat settings. Never commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from entryphone import vocabulary
from entryphone.changes import Changes
from entryphone.errors import NotFound, ValidationFailed
from entryphone.flats import repository
from entryphone.matrix import MAX_FLAT
from entryphone.models import FlatResident, Intercom, IntercomFlat, Role

# One entrance panel serves a few hundred flats at most; the bound keeps a typo from creating millions.
MAX_FLATS_PER_INTERCOM = 2000

# Per-flat tuning kept in IntercomFlat.settings (integer or null = the intercom's default).
VOLUME_FIELDS = (
    "panel_system_volumes",
    "handset_ring_analog_volumes",
    "handset_talk_analog_volumes",
    "panel_talk_analog_volumes",
    "panel_talk_mobile_volumes",
    "gail_panel_micro_mobile_volumes",
)
RESISTANCE_FIELDS = ("answer_resistance", "quiescent_resistance")
LINE_FLAGS = (
    "is_smartphone_sip_line_available",
    "is_landline_sip_line_available",
    "is_analog_line_available",
)
# The lines each connection scheme rings (platform-endpoints.md 2.5): a flat may switch off a line
# of its intercom's scheme, never switch on one the scheme does not have. No scheme: every line.
SCHEME_LINES: dict[str, frozenset[str]] = {
    "matrix_switching": frozenset({"is_analog_line_available"}),
    "fixed": frozenset({"is_landline_sip_line_available"}),
    "smart": frozenset({"is_smartphone_sip_line_available"}),
    "combined_1": frozenset({"is_analog_line_available", "is_smartphone_sip_line_available"}),
    "combined_2": frozenset({"is_landline_sip_line_available", "is_smartphone_sip_line_available"}),
}
# A new flat of an intercom without a connection type (the historical defaults).
DEFAULT_LINES = {
    "is_smartphone_sip_line_available": True,
    "is_landline_sip_line_available": False,
    "is_analog_line_available": True,
}


def scheme_lines(connection_type: str | None) -> dict[str, bool]:
    """The line flags a flat gets when its intercom's connection type is set (or the flat is created)."""
    lines = SCHEME_LINES.get(connection_type or "")
    if lines is None:
        return dict(DEFAULT_LINES)
    return {name: name in lines for name in LINE_FLAGS}


PERMISSIONS = (
    "is_open_door_key",
    "is_open_door_code",
    "is_open_door_app",
    "is_open_door_face",
    "is_restricted_live",
    "is_restricted_archive",
)


async def sync_flat_range(
    session: AsyncSession,
    intercom: Intercom,
    flat_from: int | None,
    flat_to: int | None,
    *,
    force: bool = False,
) -> None:
    """Set the intercom's flat range and make its flat records match it.

    Missing flats are created, flats outside the range removed (their keys stay on the intercom,
    unbound). Removing flats that still hold keys or residents is refused (422 on `flat_from` or
    `flat_to`) unless `force`. Both bounds None clears the range (and removes every flat).
    """
    if (flat_from is None) != (flat_to is None):
        missing = "flat_to" if flat_to is None else "flat_from"
        raise ValidationFailed.one(missing, f"The {missing} field is required with a flat range.")
    if flat_from is not None and flat_to is not None:
        errors: dict[str, list[str]] = {}
        for name, value in (("flat_from", flat_from), ("flat_to", flat_to)):
            if not 1 <= value <= MAX_FLAT:
                errors[name] = [f"The {name} must be between 1 and {MAX_FLAT}."]
        if not errors and flat_to < flat_from:
            errors["flat_to"] = ["The flat_to must be greater than or equal to flat_from."]
        if not errors and flat_to - flat_from + 1 > MAX_FLATS_PER_INTERCOM:
            errors["flat_to"] = [f"An intercom serves at most {MAX_FLATS_PER_INTERCOM} flats."]
        if errors:
            raise ValidationFailed(errors)
        wanted = set(range(flat_from, flat_to + 1))
    else:
        wanted = set()
    existing = await repository.numbers(session, intercom.id)
    outside = {number: flat_id for number, flat_id in existing.items() if number not in wanted}
    if outside and not force:
        busy = await repository.occupied(session, outside.values())
        if busy:
            numbers = sorted(number for number, flat_id in outside.items() if flat_id in busy)
            below = flat_from is not None and numbers[0] < flat_from
            path = "flat_from" if below else "flat_to"
            listed = ", ".join(str(number) for number in numbers[:20]) + ("..." if len(numbers) > 20 else "")
            raise ValidationFailed.one(
                path,
                f"Flats {listed} still hold keys or users; send force_flats_removal: true to remove them.",
            )
    await repository.remove(session, outside.values())
    await repository.create_many(
        session, intercom.id, sorted(wanted - existing.keys()), scheme_lines(intercom.connection_type)
    )
    intercom.flat_from = flat_from
    intercom.flat_to = flat_to
    await session.flush()


async def remove_all_flats(session: AsyncSession, intercom: Intercom) -> None:
    """Drop every flat of an intercom (soft delete): residents' attachments and codes go with them."""
    await repository.remove(session, await repository.flats_of_intercom(session, intercom.id))


async def get_flat(session: AsyncSession, intercom_id: int, flat_id: int) -> IntercomFlat:
    """The flat record `flat_id` of the intercom; NotFound when it is not that intercom's."""
    flat = await repository.get(session, intercom_id, flat_id)
    if flat is None:
        raise NotFound()
    return flat


async def get_flat_by_number(
    session: AsyncSession, intercom_id: int, number: int, *, for_update: bool = False
) -> IntercomFlat:
    """The flat numbered `number` of the intercom; NotFound when outside its range. `for_update`
    holds the flat until the transaction ends (who may take it is decided one at a time)."""
    flat = await repository.get_by_number(session, intercom_id, number, for_update=for_update)
    if flat is None:
        raise NotFound()
    return flat


async def attach_resident(
    session: AsyncSession,
    flat: IntercomFlat,
    account_id: int,
    *,
    source: str = "admin",
    permissions: Permissions | None = None,
    landline_number: str | None = None,
    path: str = "account_id",
) -> FlatResident:
    """Attach a resident account to a flat (idempotent; given permissions are applied either way).
    422 at `path` when the account is not a resident."""
    account = await repository.get_account(session, account_id)
    if account is None or account.role != Role.resident.value:
        raise ValidationFailed.one(path, "The selected user is not a resident.")
    resident = await repository.get_resident(session, flat.id, account_id)
    if resident is None:
        resident = FlatResident(flat_id=flat.id, account_id=account_id, source=source)
        session.add(resident)
    if permissions is not None:
        update_permissions(resident, permissions)
    if landline_number is not None:
        resident.landline_number = landline_number
    await session.flush()
    return resident


async def detach_resident(session: AsyncSession, flat: IntercomFlat, account_id: int) -> bool:
    """Detach a resident from a flat; False when they were not attached. Their keys stay theirs."""
    resident = await repository.get_resident(session, flat.id, account_id)
    if resident is None:
        return False
    await session.delete(resident)
    await session.flush()
    return True


async def get_resident(session: AsyncSession, flat: IntercomFlat, account_id: int) -> FlatResident:
    resident = await repository.get_resident(session, flat.id, account_id)
    if resident is None:
        raise NotFound()
    return resident


class Permissions(Changes):
    """A resident's permissions in a flat to set (None leaves one as it is)."""

    is_open_door_key: bool | None = None
    is_open_door_code: bool | None = None
    is_open_door_app: bool | None = None
    is_open_door_face: bool | None = None
    is_restricted_live: bool | None = None
    is_restricted_archive: bool | None = None


def update_permissions(resident: FlatResident, changes: Permissions) -> None:
    """Apply the permissions given (None leaves one as it is)."""
    for name in PERMISSIONS:
        if (value := getattr(changes, name)) is not None:
            setattr(resident, name, value)


class LineFlags(Changes):
    """The flat's call lines to switch (None leaves a flag as it is)."""

    is_smartphone_sip_line_available: bool | None = None
    is_landline_sip_line_available: bool | None = None
    is_analog_line_available: bool | None = None


def update_line_flags(intercom: Intercom, flat: IntercomFlat, flags: LineFlags) -> IntercomFlat:
    """Switch the flat's call lines. Switching on a line the intercom's connection type does not
    ring is 422 on that flag."""
    wanted = {name: value for name in LINE_FLAGS if (value := getattr(flags, name)) is not None}
    lines = SCHEME_LINES.get(intercom.connection_type or "")
    errors = {
        name: [f"The {intercom.connection_type} connection type has no such line; {name} must be false."]
        for name, value in wanted.items()
        if value and lines is not None and name not in lines
    }
    if errors:
        raise ValidationFailed(errors)
    for name, value in wanted.items():
        setattr(flat, name, value)
    return flat


async def apply_connection_type(session: AsyncSession, intercom: Intercom) -> None:
    """A connection type sets the call lines of every flat of the intercom ("the call type is set
    according to the scheme"); flats then may switch lines of the scheme off one by one."""
    if intercom.connection_type in SCHEME_LINES:
        await repository.set_line_flags(session, intercom.id, scheme_lines(intercom.connection_type))


def can_manage_resistance(intercom: Intercom, flat: IntercomFlat) -> bool:
    """Per-flat thresholds make sense where the panel rings this flat's analog handset."""
    found = vocabulary.vendor(intercom.vendor)
    return bool(
        found is not None
        and found.has_analog_lines
        and intercom.connection_type in vocabulary.MATRIX_CONNECTION_TYPES
        and flat.is_analog_line_available
    )


class FlatSettings(Changes):
    """Numbers, volumes and resistance thresholds of a flat, as sent (None: the intercom's default)."""

    number: str | None = None
    landline_number: str | None = None
    panel_system_volumes: int | None = None
    handset_ring_analog_volumes: int | None = None
    handset_talk_analog_volumes: int | None = None
    panel_talk_analog_volumes: int | None = None
    panel_talk_mobile_volumes: int | None = None
    gail_panel_micro_mobile_volumes: int | None = None
    answer_resistance: int | None = None
    quiescent_resistance: int | None = None


def update_settings(intercom: Intercom, flat: IntercomFlat, changes: FlatSettings) -> None:
    """Apply the settings sent; a resistance on a flat without an analog matrix line is 422."""
    sent = changes.sent
    if "number" in sent:
        flat.sip_number = changes.number
    if "landline_number" in sent:
        flat.landline_number = changes.landline_number
    tuning = {name: getattr(changes, name) for name in (*VOLUME_FIELDS, *RESISTANCE_FIELDS) if name in sent}
    if not tuning:
        return
    resistance_set = [name for name in RESISTANCE_FIELDS if tuning.get(name) is not None]
    if resistance_set and not can_manage_resistance(intercom, flat):
        raise ValidationFailed.one(
            resistance_set[0],
            "Line resistance can be set only for a flat with an analog line on a matrix-switching "
            "or combined 1 intercom of a vendor with analog lines.",
        )
    flat.settings = {**(flat.settings or {}), **tuning}


def properties(intercom: Intercom, flat: IntercomFlat) -> dict[str, Any]:
    """The flat's `properties` object: line state, numbers and tuning."""
    settings = flat.settings or {}
    return {
        "is_analog_line_enable": flat.is_analog_line_available,
        "is_sip_line_enable": flat.is_smartphone_sip_line_available or flat.is_landline_sip_line_available,
        "is_can_manage_resistance": can_manage_resistance(intercom, flat),
        "is_smartphone_sip_line_available": flat.is_smartphone_sip_line_available,
        "is_landline_sip_line_available": flat.is_landline_sip_line_available,
        "is_analog_line_available": flat.is_analog_line_available,
        "number": flat.sip_number,
        "landline_number": flat.landline_number,
        **{name: settings.get(name) for name in (*VOLUME_FIELDS, *RESISTANCE_FIELDS)},
    }


# Reads the API shows as stored (no rule applies to them): the repository's, offered here so that
# routes call services only.
list_query = repository.list_query
users_query = repository.users_query
counts = repository.counts
residents = repository.residents
keys_with_users = repository.keys_with_users
find = repository.get
find_resident = repository.get_resident
