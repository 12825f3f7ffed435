"""Rules of intercom keys. Never commits; the supervisor pushes the result to devices."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.changes import Changes
from entryphone.errors import NotFound, ValidationFailed
from entryphone.flats import repository as flats_repository
from entryphone.keys import repository
from entryphone.models import Intercom, IntercomKey, Role

MAX_KEYS_PER_REQUEST = 100
MAX_KEYS_PER_DELETE = 200
KEY_TYPES = ("regular", "main")
_HEX_KEY = re.compile(r"[0-9A-F]{6,16}")


def normalize_key(value: str) -> str:
    """A key UID: 6 to 16 hex digits, upper case. ValueError (a 422 message) otherwise."""
    text = value.strip().upper()
    if not _HEX_KEY.fullmatch(text):
        raise ValueError("The key must be 6 to 16 hexadecimal digits.")
    return text


async def get_key(session: AsyncSession, intercom_id: int, key_id: int) -> IntercomKey:
    key = await repository.get(session, intercom_id, key_id)
    if key is None:
        raise NotFound()
    return key


async def add_keys(
    session: AsyncSession,
    intercom: Intercom,
    values: Sequence[str],
    *,
    flat_id: int | None = None,
    account_id: int | None = None,
    key_type: str = "regular",
    source: str = "admin",
) -> list[IntercomKey]:
    """Add keys to an intercom, optionally bound to one of its flats (`flat` on error) and/or a
    resident (`user_id` on error). A bad or duplicate value is 422 at `keys.<index>`."""
    if key_type not in KEY_TYPES:
        raise ValueError(f"unknown key type {key_type!r}")
    if not values:
        raise ValidationFailed.one("keys", "The keys field must hold at least one key.")
    if len(values) > MAX_KEYS_PER_REQUEST:
        raise ValidationFailed.one("keys", f"At most {MAX_KEYS_PER_REQUEST} keys can be added at once.")
    errors: dict[str, list[str]] = {}
    normalised: list[str] = []
    first_index: dict[str, int] = {}
    for index, raw in enumerate(values):
        try:
            value = normalize_key(raw)
        except ValueError as exc:
            errors[f"keys.{index}"] = [str(exc)]
            continue
        if value in first_index:
            errors[f"keys.{index}"] = [f"The key {value} is listed twice."]
            continue
        first_index[value] = index
        normalised.append(value)
    existing = await repository.by_values(session, intercom.id, normalised)
    for value in existing:
        errors[f"keys.{first_index[value]}"] = [f"The key {value} already exists on this intercom."]
    await _check_binding(session, intercom, flat_id, account_id, errors)
    if errors:
        raise ValidationFailed(errors)
    keys = [
        IntercomKey(
            intercom_id=intercom.id,
            value=value,
            flat_id=flat_id,
            account_id=account_id,
            type=key_type,
            source=source,
        )
        for value in normalised
    ]
    try:
        async with session.begin_nested():
            session.add_all(keys)
            await session.flush()
    except IntegrityError as exc:
        # A concurrent request added one of the same keys between our check and the insert.
        raise ValidationFailed.one("keys", "One of the keys already exists on this intercom.") from exc
    return keys


class KeyBinding(Changes):
    """What a key is rebound to: the flat record and/or the resident (None unbinds), as sent."""

    flat_id: int | None = None
    account_id: int | None = None


async def update_key(
    session: AsyncSession,
    intercom: Intercom,
    key: IntercomKey,
    changes: KeyBinding,
) -> IntercomKey:
    """Rebind a key: `flat_id` (a flat of this intercom, or None) and/or `account_id` (a resident, or
    None), as sent. A `main` key stays with its user (422 on `user_id`)."""
    errors: dict[str, list[str]] = {}
    sent = changes.sent
    flat_id = changes.flat_id if "flat_id" in sent else key.flat_id
    account_id = changes.account_id if "account_id" in sent else key.account_id
    if "account_id" in sent and key.type == "main" and account_id != key.account_id:
        errors["user_id"] = ["A main key cannot be taken from its user."]
    await _check_binding(
        session,
        intercom,
        flat_id if "flat_id" in sent else None,
        account_id if "account_id" in sent else None,
        errors,
    )
    if errors:
        raise ValidationFailed(errors)
    key.flat_id = flat_id
    key.account_id = account_id
    await session.flush()
    return key


async def delete_keys(session: AsyncSession, intercom: Intercom, values: Sequence[str]) -> int:
    """Delete keys by value; values the intercom does not hold are ignored (the device may still
    hold them; the supervisor's sync removes them there). A `main` key bound to its user is 422 at
    `keys.<index>`. Returns how many were deleted."""
    if len(values) > MAX_KEYS_PER_DELETE:
        raise ValidationFailed.one("keys", f"At most {MAX_KEYS_PER_DELETE} keys can be deleted at once.")
    errors: dict[str, list[str]] = {}
    wanted: dict[str, int] = {}
    for index, raw in enumerate(values):
        try:
            wanted.setdefault(normalize_key(raw), index)
        except ValueError as exc:
            errors[f"keys.{index}"] = [str(exc)]
    found = await repository.by_values(session, intercom.id, wanted)
    for value, key in found.items():
        if key.type == "main" and key.account_id is not None:
            errors[f"keys.{wanted[value]}"] = [
                f"The key {value} is its user's main key and cannot be deleted."
            ]
    if errors:
        raise ValidationFailed(errors)
    await repository.delete_ids(session, [key.id for key in found.values()])
    return len(found)


async def collect_key(session: AsyncSession, intercom: Intercom, value: str) -> IntercomKey:
    """Record a key read on the device while `collecting_keys` is on: added unbound once; presenting
    it again returns the existing key (idempotent, safe against concurrent collectors)."""
    normalised = normalize_key(value)
    existing = (await repository.by_values(session, intercom.id, [normalised])).get(normalised)
    if existing is not None:
        return existing
    key = IntercomKey(intercom_id=intercom.id, value=normalised, type="regular", source="collected")
    try:
        async with session.begin_nested():
            session.add(key)
            await session.flush()
    except IntegrityError:
        raced = (await repository.by_values(session, intercom.id, [normalised])).get(normalised)
        if raced is None:
            raise
        return raced
    return key


async def bind_keys_to_flat(
    session: AsyncSession, intercom: Intercom, flat_id: int, key_ids: Sequence[int], *, path: str
) -> None:
    """Bind keys (by id, of this intercom) to a flat; an unknown id is 422 at `<path>.<index>`."""
    await _set_flat(session, intercom, key_ids, flat_id, path=path, only_from=None)


async def unbind_keys_from_flat(
    session: AsyncSession, intercom: Intercom, flat_id: int, key_ids: Sequence[int], *, path: str
) -> None:
    """Unbind keys (by id) from the flat; keys not bound to it are 422 at `<path>.<index>`."""
    await _set_flat(session, intercom, key_ids, None, path=path, only_from=flat_id)


async def map_user_keys(
    session: AsyncSession, flat_id: int, account_id: int, method: str, key_ids: Sequence[int], *, path: str
) -> None:
    """Bind a flat's keys to one of its users: `select` -> exactly `key_ids` of the flat are theirs,
    `all` -> every key of the flat, `none` -> none. Main keys of other users are left alone."""
    flat_keys = {key.id: key for key in await repository.of_flat(session, flat_id)}
    errors = {
        f"{path}.keys.{index}": ["The selected key is not a key of this flat."]
        for index, key_id in enumerate(key_ids)
        if key_id not in flat_keys
    }
    if errors:
        raise ValidationFailed(errors)
    chosen = {"select": set(key_ids), "all": set(flat_keys), "none": set()}[method]
    for key in flat_keys.values():
        if key.type == "main" and key.account_id not in (None, account_id):
            continue
        if key.id in chosen:
            key.account_id = account_id
        elif key.account_id == account_id and key.type != "main":
            key.account_id = None
    await session.flush()


async def _set_flat(
    session: AsyncSession,
    intercom: Intercom,
    key_ids: Sequence[int],
    flat_id: int | None,
    *,
    path: str,
    only_from: int | None,
) -> None:
    keys = await repository.by_ids(session, intercom.id, key_ids)
    errors: dict[str, list[str]] = {}
    for index, key_id in enumerate(key_ids):
        key = keys.get(key_id)
        if key is None or (only_from is not None and key.flat_id != only_from):
            errors[f"{path}.{index}"] = ["The selected key is invalid."]
    if errors:
        raise ValidationFailed(errors)
    for key in keys.values():
        key.flat_id = flat_id
    await session.flush()


async def _check_binding(
    session: AsyncSession,
    intercom: Intercom,
    flat_id: int | None,
    account_id: int | None,
    errors: dict[str, list[str]],
) -> None:
    if flat_id is not None and await flats_repository.get(session, intercom.id, flat_id) is None:
        errors["flat"] = ["The selected flat is not a flat of this intercom."]
    if account_id is not None:
        account = await flats_repository.get_account(session, account_id)
        if account is None or account.role != Role.resident.value:
            errors["user_id"] = ["The selected user is not a resident."]


# Reads the API shows as stored (no rule applies to them): the repository's, offered here so that
# routes call services only.
list_query = repository.list_query
accounts_by_id = repository.accounts
flats_by_id = repository.flats
