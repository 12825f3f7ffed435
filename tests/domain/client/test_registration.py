"""Self-registration through the domain functions the fleet supervisor calls (code, then key)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.db.base import utcnow
from entryphone.errors import NotFound, ValidationFailed
from entryphone.intercoms import service as intercoms
from entryphone.keys import repository as keys_repository
from entryphone.keys import service as keys
from entryphone.models import Role
from entryphone.pushes import PushHub
from entryphone.registration import service as registration
from entryphone.registration.service import Result
from entryphone.residents import service as residents
from tests.api.client import helpers
from tests.domain.client.conftest import received, settle
from tests.support import seed

KEY_A = "0000003045CAAC"
KEY_B = "0000003046CAAC"


def start(settings: Settings, account_id: int) -> str:
    async def work(session: AsyncSession, _context: AppContext) -> str:
        return (await registration.start(session, account_id, "phone-1")).code

    return seed.in_session(settings, work)


def code_entered(settings: Settings, hub: PushHub, intercom_id: int, code: str, after: float = 0) -> Result:
    async def work(session: AsyncSession, _context: AppContext) -> Result:
        at = utcnow() + timedelta(seconds=after)
        return (
            await registration.code_entered(session, hub, intercom_id=intercom_id, code=code, at=at)
        ).result

    return seed.in_session(settings, work)


def key_touched(settings: Settings, hub: PushHub, intercom_id: int, key: str, after: float = 0) -> Result:
    async def work(session: AsyncSession, _context: AppContext) -> Result:
        at = utcnow() + timedelta(seconds=after)
        outcome = await registration.key_touched(session, hub, intercom_id=intercom_id, key_value=key, at=at)
        return outcome.result

    return seed.in_session(settings, work)


def choose(settings: Settings, hub: PushHub, account_id: int, intercom_id: int, flat: int) -> None:
    async def work(session: AsyncSession, _context: AppContext) -> None:
        await registration.choose_flat(
            session, hub, account_id=account_id, device="phone-1", intercom_id=intercom_id, flat_number=flat
        )

    seed.in_session(settings, work)


def status(settings: Settings, account_id: int, intercom_id: int) -> str | None:
    async def work(session: AsyncSession, _context: AppContext) -> str | None:
        if not await residents.visible_among(session, account_id, [intercom_id]):
            return None
        return await residents.status_of(session, account_id, intercom_id)

    return seed.in_session(settings, work)


async def test_code_then_key_then_flat(settings: Settings, hub: PushHub) -> None:
    intercom_id = helpers.intercom(settings, flat_from=1, flat_to=10)
    ann = seed.account(settings, Role.resident)
    ann_phone = hub.connect(ann.id, "phone-1")
    code = start(settings, ann.id)
    assert len(code) == registration.CODE_DIGITS and code.isdigit()

    wrong = "x" + code[1:]
    assert code_entered(settings, hub, intercom_id, wrong) is Result.unknown_code
    assert key_touched(settings, hub, intercom_id, KEY_A) is Result.no_registration
    assert status(settings, ann.id, intercom_id) is None

    assert code_entered(settings, hub, intercom_id, code) is Result.code_accepted
    assert key_touched(settings, hub, intercom_id, KEY_A.lower()) is Result.completed
    assert status(settings, ann.id, intercom_id) == "key_confirmed"
    await settle(hub)
    assert [push.event for push in received(ann_phone)] == ["intercom_added"]

    async def the_key(session: AsyncSession, _context: AppContext) -> tuple[str, int | None]:
        key = (await keys_repository.by_values(session, intercom_id, [KEY_A]))[KEY_A]
        intercom = await intercoms.get_live(session, intercom_id)
        with pytest.raises(ValidationFailed):
            await keys.delete_keys(session, intercom, [KEY_A])  # a main key stays with its user
        return key.type, key.account_id

    assert seed.in_session(settings, the_key) == ("main", ann.id)

    with pytest.raises(ValidationFailed) as outside:
        choose(settings, hub, ann.id, intercom_id, 11)
    assert "flat" in outside.value.errors
    choose(settings, hub, ann.id, intercom_id, 5)
    assert status(settings, ann.id, intercom_id) == "confirmed"
    await settle(hub)
    assert received(ann_phone) == []  # not echoed to the device that chose
    with pytest.raises(NotFound):
        choose(settings, hub, ann.id, intercom_id, 6)  # only from key_confirmed

    # A second resident: the key is Ann's, the flat too.
    bob = seed.account(settings, Role.resident)
    bob_phone = hub.connect(bob.id, "phone-9")
    assert code_entered(settings, hub, intercom_id, start(settings, bob.id)) is Result.code_accepted
    assert key_touched(settings, hub, intercom_id, KEY_A) is Result.key_owned
    await settle(hub)
    failure = received(bob_phone)
    assert [(p.event, p.data["reason"]) for p in failure] == [("intercom_registration_failed", "key_owned")]
    assert status(settings, bob.id, intercom_id) is None

    assert code_entered(settings, hub, intercom_id, start(settings, bob.id)) is Result.code_accepted
    assert key_touched(settings, hub, intercom_id, KEY_B) is Result.completed
    with pytest.raises(ValidationFailed) as taken:
        choose(settings, hub, bob.id, intercom_id, 5)
    assert "flat" in taken.value.errors
    choose(settings, hub, bob.id, intercom_id, 6)
    assert status(settings, bob.id, intercom_id) == "confirmed"

    # Registering an intercom one already has is refused.
    assert code_entered(settings, hub, intercom_id, start(settings, ann.id)) is Result.already_added


async def test_codes_and_key_windows_expire(settings: Settings, hub: PushHub) -> None:
    intercom_id = helpers.intercom(settings)
    cleo = seed.account(settings, Role.resident)
    phone = hub.connect(cleo.id, "phone-1")
    late = registration.CODE_TTL.total_seconds() + 1
    assert code_entered(settings, hub, intercom_id, start(settings, cleo.id), after=late) is Result.expired

    assert code_entered(settings, hub, intercom_id, start(settings, cleo.id)) is Result.code_accepted
    slow = registration.KEY_WINDOW.total_seconds() + registration.CODE_TTL.total_seconds() + 1
    assert key_touched(settings, hub, intercom_id, "AABBCCDD", after=slow) is Result.no_registration
    await settle(hub)
    assert [p.data["reason"] for p in received(phone)] == ["expired", "expired"]
    assert status(settings, cleo.id, intercom_id) is None

    # A new code replaces an unfinished one.
    first = start(settings, cleo.id)
    start(settings, cleo.id)
    assert code_entered(settings, hub, intercom_id, first) is Result.unknown_code


async def test_two_residents_choosing_one_flat_at_once_get_it_one_at_a_time(
    settings: Settings, hub: PushHub
) -> None:
    intercom_id = helpers.intercom(settings, flat_from=1, flat_to=10)
    contenders = [seed.account(settings, Role.resident) for _ in range(2)]
    for account, key in zip(contenders, ("00000030AA0001", "00000030AA0002"), strict=True):
        assert code_entered(settings, hub, intercom_id, start(settings, account.id)) is Result.code_accepted
        assert key_touched(settings, hub, intercom_id, key) is Result.completed

    def attempt(account_id: int) -> str:
        try:
            choose(settings, hub, account_id, intercom_id, 5)
        except ValidationFailed:
            return "refused"
        return "chosen"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(attempt, [account.id for account in contenders]))
    assert outcomes == ["chosen", "refused"]
