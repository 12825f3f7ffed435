"""The api_read dataset, seeded through the domain services (the same rules the API applies), in
bulk transactions of a few dozen intercoms each.

Shape (full size): a city of streets and houses, two entrances (intercoms) per house, each intercom
with its own camera (low and high RTSP streams with credentials), a Metakom matrix, 50 flats, SIP
credentials, a device password, DTMF options and keys; one resident in every tenth flat with a key
bound to the flat and to them. On top, `bench_residents` residents attached to flats of three
intercoms each, with a token and a device uuid: they drive the client list.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

from _common import in_session
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.accounts import service as accounts
from entryphone.cameras import service as cameras
from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.flats import service as flats
from entryphone.groups import service as groups
from entryphone.intercoms import service as intercoms
from entryphone.intercoms.changes import IntercomChanges
from entryphone.keys import service as keys
from entryphone.models import Role

ENTRANCES_PER_HOUSE = 2
HOUSES_PER_STREET = 25
UNBOUND_KEYS = 10  # per intercom: keys collected from the panel, not yet given to anyone
RESIDENT_EVERY = 10  # one seeded resident in every tenth flat
INTERCOMS_PER_BENCH_RESIDENT = 3
BATCH = 25  # intercoms per transaction


@dataclass(frozen=True)
class Resident:
    token: str
    uuid: str


@dataclass
class Dataset:
    intercom_ids: list[int]
    admin_token: str
    residents: list[Resident]
    counts: dict[str, int] = field(default_factory=dict)
    seed_seconds: float = 0.0


def _intercom_fields(index: int, house_id: int, camera_id: int, flats_per_intercom: int) -> dict[str, Any]:
    entrance = index % ENTRANCES_PER_HOUSE
    flat_from = entrance * flats_per_intercom + 1
    octets = f"{index >> 16 & 255:02X}:{index >> 8 & 255:02X}:{index & 255:02X}"
    return {
        "title": f"House {index // ENTRANCES_PER_HOUSE + 1}, entrance {entrance + 1}",
        "vendor": "beward",
        "model": "DKS15103",
        "serial_number": f"BW-{index + 1:08d}",
        "mac": f"02:00:00:{octets}",
        "external_id": f"ext-{index + 1}",
        "group_id": house_id,
        "camera_id": camera_id,
        "status": "installed",
        "department": entrance + 1,
        "department_type": "main",
        "department_name": f"Entrance {entrance + 1}",
        "address": f"Street {index // (ENTRANCES_PER_HOUSE * HOUSES_PER_STREET) + 1}, "
        f"house {index // ENTRANCES_PER_HOUSE + 1}",
        "flat_from": flat_from,
        "flat_to": flat_from + flats_per_intercom - 1,
        "flat_offset": 0,
        "collecting_keys": index % 7 == 0,
        "door_open_time_general": 5,
        "sip_credentials": {
            "server": "sip.example.net",
            "port": 5060,
            "login": f"panel{index + 1}",
            "password": f"sip-secret-{index}",
        },
        "sip_options": {
            "dtmf": [{"id": 1, "value": "1"}, {"id": 2, "value": "2#"}],
            "talk_duration": 120,
            "ring_duration": 30,
        },
        "is_crossbar_switchers_enabled": False,
        "switch": "metakom",
        "connection_type": "matrix_switching",
        "commutators_count": 1,
        "matrix": [
            {
                "id": 1,
                "auto": True,
                "capacity": flats_per_intercom,
                "flat_from": flat_from,
                "is_last_item_first": False,
            }
        ],
        "schema": "http",
        "ip": f"10.{index >> 16 & 255}.{index >> 8 & 255}.{index & 255}",
        "port": 80,
        "login": "admin",
        "password": f"device-secret-{index}",
    }


def _camera_fields(index: int, house_id: int) -> dict[str, Any]:
    host = f"10.{index >> 16 & 255}.{index >> 8 & 255}.{index & 255}"
    return {
        "name": f"Camera of intercom {index + 1}",
        "group_id": house_id,
        "streams": [
            {"type": "low", "url": f"rtsp://viewer:cam-{index}@{host}:554/low", "resolution": "640x360"},
            {"type": "high", "url": f"rtsp://viewer:cam-{index}@{host}:554/high", "bitrate": 2048},
        ],
    }


def _key(intercom_index: int, number: int) -> str:
    return f"{intercom_index + 1:06X}{number:04X}"


def seed(settings: Settings, intercom_count: int, flats_per_intercom: int, bench_residents: int) -> Dataset:
    """Seed the dataset into a fresh, migrated database; returns what the load generator needs."""
    started = time.monotonic()
    if flats_per_intercom % 10 or not 10 <= flats_per_intercom <= 100:
        raise ValueError("flats per intercom: a whole number of Metakom rows (10..100)")
    counts = {"intercoms": 0, "cameras": 0, "streams": 0, "flats": 0, "keys": 0, "residents": 0}

    async def tree(session: AsyncSession, _context: AppContext) -> tuple[list[int], str]:
        city = await groups.create(session, name="Bench City")
        houses_needed = -(-intercom_count // ENTRANCES_PER_HOUSE)
        house_ids: list[int] = []
        street = None
        for number in range(houses_needed):
            if number % HOUSES_PER_STREET == 0:
                street = await groups.create(
                    session, name=f"Street {number // HOUSES_PER_STREET + 1}", parent_id=city.id
                )
            assert street is not None
            house = await groups.create(
                session, name=f"House {number + 1}", parent_id=street.id, is_house=True
            )
            house_ids.append(house.id)
        admin = await accounts.create_account(session, login="bench-admin", password=None, role=Role.admin)
        return house_ids, (await accounts.issue_token(session, admin, name="bench")).token

    house_ids, admin_token = in_session(settings, tree)
    intercom_ids: list[int] = []

    def batch(start: int, stop: int) -> None:
        async def work(session: AsyncSession, context: AppContext) -> None:
            for index in range(start, stop):
                house_id = house_ids[index // ENTRANCES_PER_HOUSE]
                camera = await cameras.create(
                    session,
                    context.secrets,
                    cameras.CameraChanges.model_validate(_camera_fields(index, house_id)),
                )
                intercom = await intercoms.create(
                    session,
                    context.secrets,
                    IntercomChanges.model_validate(
                        _intercom_fields(index, house_id, camera.id, flats_per_intercom)
                    ),
                    source="manual",
                )
                intercom_ids.append(intercom.id)
                await keys.add_keys(session, intercom, [_key(index, n) for n in range(UNBOUND_KEYS)])
                assert intercom.flat_from is not None and intercom.flat_to is not None
                residents = 0
                for number in range(intercom.flat_from, intercom.flat_to + 1, RESIDENT_EVERY):
                    flat = await flats.get_flat_by_number(session, intercom.id, number)
                    account = await accounts.create_account(
                        session, login=f"resident-{index + 1}-{number}", password=None, role=Role.resident
                    )
                    await flats.attach_resident(session, flat, account.id)
                    key = _key(index, 0x8000 + number)
                    await keys.add_keys(session, intercom, [key], flat_id=flat.id, account_id=account.id)
                    residents += 1
                counts["intercoms"] += 1
                counts["cameras"] += 1
                counts["streams"] += 2
                counts["flats"] += flats_per_intercom
                counts["keys"] += UNBOUND_KEYS + residents
                counts["residents"] += residents

        in_session(settings, work)

    for start in range(0, intercom_count, BATCH):
        batch(start, min(intercom_count, start + BATCH))

    async def bench_people(session: AsyncSession, _context: AppContext) -> list[Resident]:
        chooser = random.Random(7)
        people: list[Resident] = []
        for number in range(bench_residents):
            account = await accounts.create_account(
                session, login=f"bench-resident-{number + 1}", password=None, role=Role.resident
            )
            picked = chooser.sample(intercom_ids, min(INTERCOMS_PER_BENCH_RESIDENT, len(intercom_ids)))
            for intercom_id in picked:
                record = await intercoms.get_live(session, intercom_id)
                assert record.flat_from is not None and record.flat_to is not None
                number_in_house = chooser.randint(record.flat_from, record.flat_to)
                flat = await flats.get_flat_by_number(session, intercom_id, number_in_house)
                await flats.attach_resident(session, flat, account.id)
            issued = await accounts.issue_token(session, account, name="bench")
            people.append(Resident(token=issued.token, uuid=f"bench-device-{number + 1}"))
        return people

    residents = in_session(settings, bench_people)
    counts["bench_residents"] = len(residents)
    return Dataset(
        intercom_ids=intercom_ids,
        admin_token=admin_token,
        residents=residents,
        counts=counts,
        seed_seconds=time.monotonic() - started,
    )
