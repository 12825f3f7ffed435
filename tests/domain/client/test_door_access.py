"""The door-open path's narrow reads (a few columns, one statement) decide what the full checks
decide: who may open which door, and whether a resident's phone must be written down again."""

from __future__ import annotations

import pytest

from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.errors import NotFound, ValidationFailed
from entryphone.intercoms import service as intercoms
from entryphone.models import Role
from entryphone.residents import service as residents
from tests.api.client import helpers
from tests.support import seed


async def test_a_door_opens_through_any_flat_that_grants_it(settings: Settings) -> None:
    intercom_id = helpers.intercom(settings)
    other_id = helpers.intercom(settings, title="Entrance 2")
    both = seed.account(settings, Role.resident)
    helpers.attach(settings, intercom_id, 3, both.id, is_open_door_app=False)
    helpers.attach(settings, intercom_id, 7, both.id, is_open_door_app=True)
    barred = seed.account(settings, Role.resident)
    helpers.attach(settings, intercom_id, 4, barred.id, is_open_door_app=False)
    stranger = seed.account(settings, Role.resident)
    helpers.attach(settings, other_id, 1, stranger.id, is_open_door_app=True)
    context = AppContext.build(settings)
    try:
        async with context.sessions() as session:

            async def permitted(account_id: int, intercom: int) -> int:
                found = await residents.require_permitted_connection(
                    session, account_id, intercom, "is_open_door_app"
                )
                return found.id

            assert await permitted(both.id, intercom_id) == intercom_id
            with pytest.raises(ValidationFailed):  # the resident's own intercom: 422, not 404
                await permitted(barred.id, intercom_id)
            with pytest.raises(NotFound):  # someone else's: it does not exist for them
                await permitted(stranger.id, intercom_id)
            async with context.sessions.begin() as writer:
                (await intercoms.get_live(writer, intercom_id)).status = "deleted"
            with pytest.raises(NotFound):
                await permitted(both.id, intercom_id)
    finally:
        await context.close()


async def test_a_phone_is_written_down_again_only_when_due(settings: Settings) -> None:
    resident = seed.account(settings, Role.resident)
    context = AppContext.build(settings)
    try:
        async with context.sessions() as reader:
            assert not await residents.device_is_current(reader, resident.id, "phone-1", "ios-cctv")
        async with context.sessions.begin() as session:
            await residents.remember_device(session, resident.id, "phone-1", "ios-cctv")
        async with context.sessions() as reader:
            assert await residents.device_is_current(reader, resident.id, "phone-1", "ios-cctv")
            # The same phone id calling as another app is written down again; another phone is new.
            assert not await residents.device_is_current(reader, resident.id, "phone-1", "web")
            assert not await residents.device_is_current(reader, resident.id, "phone-2", "ios-cctv")
    finally:
        await context.close()
