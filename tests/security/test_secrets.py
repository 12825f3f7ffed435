"""Secrets stay secret: stored encrypted or hashed, never in a reply, never in a log line.

Secrets are created through the APIs (an admin intercom with SIP credentials and a device password,
billing ONVIF credentials, a camera stream URL with user:password), tokens are issued and used, a
login fails and one succeeds. Then: the database (the SQLite file's bytes; every text/json column of
every table on PostgreSQL) holds none of them in clear, the encrypted columns decrypt back to them
(stored, not dropped), tokens are stored as their hash, and no reply body or log record carried any.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.models import ApiToken, Camera, CameraStream, Intercom, Role
from entryphone.security.tokens import hash_token
from tests.api.billing.conftest import make_house, next_mac
from tests.conftest import Api
from tests.support import seed

SIP_PASSWORD = "sip-Pw-7f3a9c1e"
DEVICE_PASSWORD = "dev-Pw-81b2e4aa"
NEW_DEVICE_PASSWORD = "dev-Pw-2c90d1ff"
ONVIF_LOGIN = "onvif-user-4d17"
ONVIF_PASSWORD = "onvif-Pw-55d1e0b3"
STREAM_PASSWORD = "cam-Pw-9e7c3a12"
STREAM_URL = f"rtsp://camuser:{STREAM_PASSWORD}@192.0.2.10:554/Streaming/Channels/102"
RESIDENT_PASSWORD = "resident-Pw-6a0f2b"
WRONG_PASSWORD = "wrong-Pw-0b7e19c4"

# Never in clear anywhere: not in a reply, a log line or the database.
DEVICE_SECRETS = [
    SIP_PASSWORD,
    DEVICE_PASSWORD,
    NEW_DEVICE_PASSWORD,
    ONVIF_PASSWORD,
    RESIDENT_PASSWORD,
    WRONG_PASSWORD,
]


class Recorder(logging.Handler):
    """Every log record of the process (the server runs in a thread of this process)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        line = f"{record.name} {record.getMessage()} {record.args!r}"
        if record.exc_info:
            line += logging.Formatter().formatException(record.exc_info)
        self.lines.append(line)


@pytest.fixture(scope="module")
def recorded(api: Api, settings: Settings) -> Iterator[dict[str, Any]]:
    """Run every flow that handles a secret, with all logs captured at DEBUG and every reply kept."""
    recorder = Recorder()
    root = logging.getLogger()
    watched = [root, logging.getLogger("entryphone"), logging.getLogger("uvicorn.error")]
    levels = [logger.level for logger in watched]
    root.addHandler(recorder)
    logging.getLogger("uvicorn.access").addHandler(recorder)
    for logger in watched:
        logger.setLevel(logging.DEBUG)
    replies: list[httpx.Response] = []

    def keep(response: httpx.Response) -> None:
        response.read()
        replies.append(response)

    try:
        admin = seed.account(settings, Role.admin)
        billing = seed.account(settings, Role.billing)
        resident = seed.account(settings, Role.resident, password=RESIDENT_PASSWORD)
        login_token = _flows(api, settings, admin, billing, resident, keep)
    finally:
        root.removeHandler(recorder)
        logging.getLogger("uvicorn.access").removeHandler(recorder)
        for logger, level in zip(watched, levels, strict=True):
            logger.setLevel(level)
    yield {
        "replies": replies,
        "logs": recorder.lines,
        "tokens": [admin.token, billing.token, resident.token, login_token],
    }


def _flows(
    api: Api,
    settings: Settings,
    admin: seed.SeededAccount,
    billing: seed.SeededAccount,
    resident: seed.SeededAccount,
    keep: Any,
) -> str:
    def client(token: str | None, **headers: Any) -> httpx.Client:
        made = api.client(token, **headers)
        made.event_hooks["response"].append(keep)
        return made

    with client(admin.token) as admin_client:
        camera = admin_client.post(
            "/api/admin/v1/cameras",
            json={"name": "Secret camera", "streams": [{"type": "low", "url": STREAM_URL}]},
        )
        assert camera.status_code == 201, camera.text
        body = {
            "title": "Secret door",
            "vendor": "beward",  # no driver: the device password is stored, no panel is probed
            "mac": next_mac(),
            "camera_id": camera.json()["id"],
            "ip": "192.0.2.20",
            "login": "admin",
            "password": DEVICE_PASSWORD,
            "sip_credentials": {
                "server": "sip.example.net",
                "port": 5060,
                "login": "7001",
                "password": SIP_PASSWORD,
            },
        }
        created = admin_client.post("/api/admin/v1/intercoms", json=body)
        assert created.status_code == 201, created.text
        intercom_id = created.json()["id"]
        patched = admin_client.patch(
            f"/api/admin/v1/intercoms/{intercom_id}", json={"password": NEW_DEVICE_PASSWORD}
        )
        assert patched.status_code == 200, patched.text
        # A refused update that carries a secret: the 422 must not echo it back.
        refused = admin_client.patch(
            f"/api/admin/v1/intercoms/{intercom_id}", json={"password": SIP_PASSWORD, "port": 0}
        )
        assert refused.status_code == 422, refused.text
        assert admin_client.get(f"/api/admin/v1/intercoms/{intercom_id}").status_code == 200
        assert admin_client.get("/api/admin/v1/intercoms").status_code == 200

    house = make_house(settings, "Secret house")
    with client(billing.token, x_client=None, x_uuid=None) as billing_client:
        made = billing_client.post(
            "/api/v1/billing/intercoms",
            json={
                "group_id": house["id"],
                "flat_from": 1,
                "flat_to": 4,
                "serial_number": seed.unique("SN"),
                "mac": next_mac(),
                "vendor": "interconnection",
                "model": "3516EV200",
                "name": "Billing secret door",
                "department": 1,
            },
        )
        assert made.status_code == 200, made.text
        billing_id = made.json()["id"]
        onvif = billing_client.patch(
            "/api/v1/billing/intercoms",
            json={"id": billing_id, "onvif_credentials": {"login": ONVIF_LOGIN, "password": ONVIF_PASSWORD}},
        )
        assert onvif.status_code == 200, onvif.text
        shown = billing_client.get("/api/v1/billing/intercoms/show", params={"id": billing_id})
        assert shown.status_code == 200, shown.text
        assert (
            billing_client.post(
                "/api/v1/billing/user/manage/intercoms",
                json={"login": resident.login, "sync": [{"intercom_id": billing_id, "flat": 1}]},
            ).status_code
            == 204
        )

    with client(None) as anonymous:
        failed = anonymous.post("/api/v1/token", json={"login": resident.login, "password": WRONG_PASSWORD})
        assert failed.status_code == 422, failed.text
        logged_in = anonymous.post(
            "/api/v1/token", json={"login": resident.login, "password": RESIDENT_PASSWORD}
        )
        assert logged_in.status_code == 200, logged_in.text
        token = str(logged_in.json()["access_token"])
    with client(token) as phone:
        assert phone.get("/api/v1/intercom").status_code == 200
    with client("ep_" + "x" * 40) as forged:  # an unknown token is refused without being logged
        assert forged.get("/api/v1/intercom").status_code == 401
    return token


def test_no_reply_carries_a_secret(recorded: dict[str, Any]) -> None:
    replies: list[httpx.Response] = recorded["replies"]
    assert len(replies) >= 12
    for reply in replies:
        for secret in [*DEVICE_SECRETS, ONVIF_LOGIN]:
            assert secret not in reply.text, (reply.request.method, reply.request.url, secret)
        # Stream URLs are shown to admins only, by design (docs/api/admin.md, "Cameras").
        if not reply.request.url.path.startswith("/api/admin/"):
            assert STREAM_PASSWORD not in reply.text, (reply.request.method, reply.request.url)
        # A token appears only in the login reply that issues it.
        if reply.request.url.path != "/api/v1/token":
            for token in recorded["tokens"]:
                assert token not in reply.text, (reply.request.method, reply.request.url)
    # What replies carry instead: the installed flags.
    door = next(
        reply.json() for reply in replies if reply.request.method == "GET" and "/intercoms/" in str(reply.url)
    )
    assert door["is_password_installed"] is True
    assert door["sip_credentials"]["is_sip_password_installed"] is True


def test_no_log_line_carries_a_secret_or_a_token(recorded: dict[str, Any]) -> None:
    lines: list[str] = recorded["logs"]
    assert lines, "nothing was logged: the capture is not attached"
    for secret in [*DEVICE_SECRETS, ONVIF_LOGIN, STREAM_PASSWORD, *recorded["tokens"]]:
        leaking = [line for line in lines if secret in line]
        assert not leaking, leaking[:3]


def test_the_database_holds_no_secret_in_clear(recorded: dict[str, Any], settings: Settings) -> None:
    secrets = [*DEVICE_SECRETS, ONVIF_LOGIN, STREAM_PASSWORD, STREAM_URL, *recorded["tokens"]]
    if settings.database_url.startswith("sqlite"):
        stored = _sqlite_bytes(settings.database_url)
        assert b"Secret door" in stored  # the file read is the live database (WAL included)
        for secret in secrets:
            assert secret.encode() not in stored, secret
    else:
        values = seed.in_session(settings, _every_text_value)
        assert any("Secret door" in value for value in values)
        for secret in secrets:
            assert not [value for value in values if secret in value], secret


def test_secrets_are_stored_encrypted_and_tokens_as_their_hash(
    recorded: dict[str, Any], settings: Settings
) -> None:
    async def work(session: AsyncSession, context: AppContext) -> dict[str, Any]:
        door = (await session.execute(select(Intercom).where(Intercom.title == "Secret door"))).scalar_one()
        streams = (await session.execute(select(CameraStream))).scalars().all()
        cameras = (await session.execute(select(Camera))).scalars().all()
        hashes = set((await session.execute(select(ApiToken.token_hash))).scalars())
        decrypt = context.secrets.decrypt
        return {
            "password": decrypt(door.password_encrypted or ""),
            "sip": decrypt(door.sip_password_encrypted or ""),
            "urls": [decrypt(stream.url_encrypted) for stream in streams],
            "onvif": [
                decrypt(camera.onvif_credentials_encrypted)
                for camera in cameras
                if camera.onvif_credentials_encrypted
            ],
            "hashes": hashes,
        }

    stored = seed.in_session(settings, work)
    assert stored["password"] == NEW_DEVICE_PASSWORD
    assert stored["sip"] == SIP_PASSWORD
    assert STREAM_URL in stored["urls"]
    assert any(ONVIF_PASSWORD in value and ONVIF_LOGIN in value for value in stored["onvif"])
    assert {hash_token(token) for token in recorded["tokens"]} <= stored["hashes"]


def _sqlite_bytes(database_url: str) -> bytes:
    path = Path(database_url.split(":///", 1)[1])
    parts = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-journal")]
    return b"".join(part.read_bytes() for part in parts if part.exists())


async def _every_text_value(session: AsyncSession, _context: AppContext) -> list[str]:
    columns = (
        await session.execute(
            text(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND data_type IN "
                "('text', 'character varying', 'character', 'json', 'jsonb', 'bytea')"
            )
        )
    ).all()
    values: list[str] = []
    for table, column in columns:
        # Identifiers from information_schema itself, quoted: nothing user-supplied.
        query = f'SELECT "{column}"::text FROM "{table}" WHERE "{column}" IS NOT NULL'  # noqa: S608
        rows = await session.execute(text(query))
        values.extend(str(value) for value in rows.scalars())
    return values
