"""How an external system names an intercom (id, mac or external_id) and what each answer means.

Documented rules (platform-endpoints.md 1.6, 3.1): PATCH and DELETE take `id` or `mac`, never both;
show takes exactly one of `id`, `mac`, `external_id`. An identifier that matches no intercom ever known
is a 422 on that key for PATCH/DELETE (their pages document 422 only, Laravel's `exists` rule) and a
404 for show (its page documents 404); an intercom that exists but is deleted is a 404 everywhere.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.billing import repository
from entryphone.errors import NotFound, ValidationFailed
from entryphone.intercoms.identity import normalize_mac
from entryphone.models import Intercom

DELETED = repository.DELETED


def mac_field(path: str, raw: str) -> str:
    """A normalised MAC, or a 422 keyed by `path` (mac, new_mac, ...)."""
    try:
        return normalize_mac(raw)
    except ValueError as exc:
        # The intercoms' message names `mac`; say which key of this request was wrong.
        raise ValidationFailed.one(path, str(exc).replace("The mac ", f"The {path} ", 1)) from exc


def require_id_xor_mac(intercom_id: int | None, mac: str | None) -> None:
    if intercom_id is not None and mac is not None:
        hint = "identify the intercom by one of them."
        raise ValidationFailed(
            {
                "id": [f"The id field prohibits mac from being present: {hint}"],
                "mac": [f"The mac field prohibits id from being present: {hint}"],
            }
        )
    if intercom_id is None and mac is None:
        raise ValidationFailed(
            {
                "id": ["The id field is required when mac is not present."],
                "mac": ["The mac field is required when id is not present."],
            }
        )


def require_exactly_one(intercom_id: int | None, mac: str | None, external_id: str | None) -> None:
    sent = {
        name: value
        for name, value in (("id", intercom_id), ("mac", mac), ("external_id", external_id))
        if value is not None
    }
    if len(sent) == 1:
        return
    if not sent:
        message = "One of id, mac or external_id is required."
        raise ValidationFailed({name: [message] for name in ("id", "mac", "external_id")})
    message = "Only one identification parameter can be used at a time: send one of id, mac or external_id."
    raise ValidationFailed({name: [message] for name in sent})


async def for_change(session: AsyncSession, *, intercom_id: int | None, mac: str | None) -> Intercom:
    """The live intercom a PATCH or DELETE names, row-locked until the transaction ends."""
    require_id_xor_mac(intercom_id, mac)
    if intercom_id is not None:
        found = await repository.by_id(session, intercom_id, lock=True)
        if found is None:
            raise ValidationFailed.one("id", "The selected id is invalid.")
    else:
        assert mac is not None
        normalised = mac_field("mac", mac)
        found = await _locked_by_mac(session, normalised)
        if found is None:
            raise ValidationFailed.one("mac", "The selected mac is invalid.")
    if found.status == DELETED:
        raise NotFound()
    return found


async def for_show(
    session: AsyncSession, *, intercom_id: int | None, mac: str | None, external_id: str | None
) -> Intercom:
    require_exactly_one(intercom_id, mac, external_id)
    if intercom_id is not None:
        found = await repository.by_id(session, intercom_id, lock=False)
    elif mac is not None:
        found = await repository.by_mac(session, mac_field("mac", mac), lock=False)
    else:
        assert external_id is not None
        found = await repository.by_external_id(session, external_id)
    if found is None or found.status == DELETED:
        raise NotFound()
    return found


async def _locked_by_mac(session: AsyncSession, mac: str) -> Intercom | None:
    # A concurrent panel replacement may change the MAC between the lookup and the lock: look again.
    for _attempt in range(3):
        found = await repository.by_mac(session, mac, lock=True)
        if found is None or found.mac == mac:
            return found
    return None
