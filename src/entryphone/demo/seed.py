"""Demo data, created once and reused: a house, one intercom per emulated panel (probed like any
onboarded panel, with SIP credentials at the demo's Kamailio and a DTMF code for relay 1), flats,
keys, an admin and a resident. Tokens are issued anew on every run (they
are stored only as hashes, so an old one cannot be shown again)."""

from __future__ import annotations

from dataclasses import dataclass
from secrets import token_urlsafe

from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.accounts import repository as accounts_repository
from entryphone.accounts import service as accounts
from entryphone.flats import service as flats
from entryphone.fleet import onboarding
from entryphone.fleet.access import DeviceAccess
from entryphone.groups import repository as groups_repository
from entryphone.groups import service as groups
from entryphone.intercoms import repository as intercoms_repository
from entryphone.intercoms import service as intercoms
from entryphone.intercoms.changes import IntercomChanges
from entryphone.keys import service as keys
from entryphone.models import Account, Intercom, Role
from entryphone.security.secretbox import SecretBox, SecretBoxError

ADMIN_LOGIN = "demo-admin"
RESIDENT_LOGIN = "demo-resident"
# A demo account on a loopback-only demo, printed on purpose so the login endpoint can be tried.
RESIDENT_PASSWORD = "demo-resident"  # noqa: S105
HOUSE_EXTERNAL_ID = "demo-house"
FLATS = 20
RESIDENT_FLAT = 1
# What the answering phone sends to open relay 1 of a demo panel.
DOOR_DTMF = "1234"


@dataclass(frozen=True)
class DemoPanel:
    url: str
    login: str
    password: str


@dataclass(frozen=True)
class DemoIntercom:
    id: int
    title: str
    panel: DemoPanel
    key: str
    sip_login: str | None = None


@dataclass(frozen=True)
class DemoData:
    admin_token: str
    resident_token: str
    resident_login: str
    resident_password: str
    intercoms: list[DemoIntercom]
    # The console's sign-in (/console): a new password on every run, like the tokens.
    admin_login: str = ADMIN_LOGIN
    admin_password: str = ""


async def _account(session: AsyncSession, login: str, role: Role, name: str, password: str | None) -> Account:
    found = await accounts_repository.get_by_login(session, login)
    if found is not None:
        return found
    return await accounts.create_account(session, login=login, password=password, role=role, name=name)


def _points_at(secrets: SecretBox, intercom: Intercom, panel: DemoPanel, port: int) -> bool:
    if (intercom.ip, intercom.port, intercom.login) != ("127.0.0.1", port, panel.login):
        return False
    try:
        return intercom.password_encrypted is not None and (
            secrets.decrypt(intercom.password_encrypted) == panel.password
        )
    except SecretBoxError:
        return False


def _sip_fields(number: int, sip_server: tuple[str, int]) -> dict[str, object]:
    """The panel registers at the demo's Kamailio as demo-panel-N (its password is never shown:
    the platform provisions it onto the panel) and relay 1 opens with DOOR_DTMF."""
    host, port = sip_server
    return {
        "sip_credentials": {
            "server": host,
            "port": port,
            "login": f"demo-panel-{number}",
            "password": token_urlsafe(18),
        },
        "sip_options": {"dtmf": [{"id": 1, "value": DOOR_DTMF}]},
    }


async def seed(
    session: AsyncSession,
    secrets: SecretBox,
    access: DeviceAccess,
    panels: list[DemoPanel],
    ports: list[int],
    sip_server: tuple[str, int],
) -> DemoData:
    admin = await _account(session, ADMIN_LOGIN, Role.admin, "Demo administrator", None)
    resident = await _account(session, RESIDENT_LOGIN, Role.resident, "Demo resident", RESIDENT_PASSWORD)

    house = await groups_repository.get_by_external_id(session, HOUSE_EXTERNAL_ID)
    if house is None:
        city = await groups.create(session, name="Demo City")
        house = await groups.create(
            session, name="1 Demo Street", parent_id=city.id, is_house=True, external_id=HOUSE_EXTERNAL_ID
        )

    made: list[DemoIntercom] = []
    for number, (panel, port) in enumerate(zip(panels, ports, strict=True), start=1):
        external_id = f"demo-panel-{number}"
        intercom = await intercoms_repository.with_external_id(session, external_id, None)
        if intercom is not None and intercom.status == intercoms.DELETED:
            continue  # deleted by the operator during an earlier demo: respect it
        key = f"DE110{number:03d}"
        if intercom is None:
            fields = {
                "title": f"Demo entrance {number}",
                "vendor": "2n",
                "external_id": external_id,
                "group_id": house.id,
                "department": number,
                "address": "1 Demo Street",
                "flat_from": 1,
                "flat_to": FLATS,
                "door_open_time_general": 5,
                "schema": "http",
                "ip": "127.0.0.1",
                "port": port,
                "login": panel.login,
                "password": panel.password,
                "status": "installed",
                **_sip_fields(number, sip_server),
            }
            info = await onboarding.probe(access, fields)
            fields.update(onboarding.facts(info, fields, None))
            intercom = await intercoms.create(
                session, secrets, IntercomChanges.model_validate(fields), source="manual"
            )
            intercom.device_info = onboarding.device_info_record(info)
            flat = await flats.get_flat_by_number(session, intercom.id, RESIDENT_FLAT)
            await flats.attach_resident(session, flat, resident.id, source="admin")
            await keys.add_keys(session, intercom, [key], flat_id=flat.id, account_id=resident.id)
        elif not _points_at(secrets, intercom, panel, port):
            # `--panel-port` changed since the data was made (or the emulator's state directory, which
            # keeps the panels' credentials, was removed): the intercom follows the panel just started.
            live = await intercoms.get_live(session, intercom.id, for_update=True)
            changes = IntercomChanges(ip="127.0.0.1", port=port, login=panel.login, password=panel.password)
            intercom = await intercoms.update(session, secrets, live, changes)
        if intercom.sip_login is None:  # data of a demo from before the panels spoke SIP
            live = await intercoms.get_live(session, intercom.id, for_update=True)
            sip = IntercomChanges.model_validate(_sip_fields(number, sip_server))
            intercom = await intercoms.update(session, secrets, live, sip)
        made.append(
            DemoIntercom(
                id=intercom.id, title=intercom.title, panel=panel, key=key, sip_login=intercom.sip_login
            )
        )

    await accounts.revoke(session, admin)
    await accounts.revoke(session, resident)
    admin_token = (await accounts.issue_token(session, admin, name="demo")).token
    admin_password = token_urlsafe(12)
    await accounts.set_password(session, admin, admin_password)
    resident_token = (await accounts.issue_token(session, resident, name="demo")).token
    return DemoData(
        admin_token=admin_token,
        resident_token=resident_token,
        resident_login=RESIDENT_LOGIN,
        resident_password=RESIDENT_PASSWORD,
        intercoms=made,
        admin_password=admin_password,
    )
