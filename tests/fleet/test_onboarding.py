"""Onboarding a 2n intercom: the panel is probed before its connection is stored; a wrong password
or an unreachable panel is a 422 naming the field, and nothing is written."""

from __future__ import annotations

import hashlib
import socket
import ssl
from collections.abc import Iterator

import httpx
import pytest

from entryphone.config import Settings
from entryphone.models import Role
from tests.conftest import Api
from tests.support import seed
from tests.support.emulators import BackgroundEmulators

ADMIN = "/api/admin/v1/intercoms"
PASSWORD = "onboard-Pass-7"


@pytest.fixture(scope="module")
def panels(backend: str) -> Iterator[BackgroundEmulators]:
    running = BackgroundEmulators(count=2, profile="2.4x", password=PASSWORD).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def client(api: Api, settings: Settings) -> Iterator[httpx.Client]:
    with api.client(seed.account(settings, Role.admin).token) as admin:
        yield admin


def connection(panels: BackgroundEmulators, index: int = 0, **overrides: object) -> dict[str, object]:
    device = panels.devices[index]
    body: dict[str, object] = {
        "title": f"Panel {index}",
        "vendor": "2n",
        "schema": "http",
        "ip": "127.0.0.1",
        "port": device.port,
        "login": device.login,
        "password": PASSWORD,
    }
    body.update(overrides)
    return body


def count(client: httpx.Client) -> int:
    return int(client.get(ADMIN, params={"vendor": "2n"}).json()["meta"]["total"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_create_probes_and_stores_identity_and_capabilities(
    client: httpx.Client, panels: BackgroundEmulators
) -> None:
    device = panels.devices[0]
    created = client.post(ADMIN, json=connection(panels))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["serial_number"] == device.serial
    assert body["mac"] == device.mac.replace("-", ":")
    assert body["model"] == "2N Helios IP Verso"
    assert PASSWORD not in created.text
    info = client.get(f"{ADMIN}/{body['id']}/device").json()["device_info"]
    assert info["profile"] == "2.4x" and info["firmware"]
    assert {"door", "keys", "events", "snapshot"} <= set(info["capabilities"])


def test_wrong_password_is_422_on_password_and_writes_nothing(
    client: httpx.Client, panels: BackgroundEmulators
) -> None:
    before = count(client)
    reply = client.post(ADMIN, json=connection(panels, 1, password="not-it"))
    assert reply.status_code == 422
    assert list(reply.json()["errors"]) == ["password"]
    assert "not-it" not in reply.text
    assert count(client) == before


def test_unreachable_panel_is_422_on_ip(client: httpx.Client, panels: BackgroundEmulators) -> None:
    before = count(client)
    reply = client.post(ADMIN, json=connection(panels, 1, port=free_port()))
    assert reply.status_code == 422
    assert "ip" in reply.json()["errors"]
    assert count(client) == before


def test_other_rules_are_checked_before_the_device(client: httpx.Client, panels: BackgroundEmulators) -> None:
    reply = client.post(ADMIN, json=connection(panels, 1, password="not-it", department=10**6))
    assert reply.status_code == 422
    assert "department" in reply.json()["errors"] and "password" not in reply.json()["errors"]


def test_patching_the_connection_probes_again_and_keeps_the_old_one_on_failure(
    client: httpx.Client, panels: BackgroundEmulators
) -> None:
    created = client.post(ADMIN, json=connection(panels, 1)).json()
    refused = client.patch(f"{ADMIN}/{created['id']}", json={"password": "wrong-again"})
    assert refused.status_code == 422 and "password" in refused.json()["errors"]
    moved = client.patch(f"{ADMIN}/{created['id']}", json={"port": panels.devices[0].port})
    # The same credentials work on the other panel; its identity is now the stored one... unless
    # that serial is already taken by another live intercom, which is a 422 on serial_number/mac.
    assert moved.status_code == 422
    assert set(moved.json()["errors"]) & {"serial_number", "mac"}
    unchanged = client.get(f"{ADMIN}/{created['id']}").json()
    assert unchanged["port"] == panels.devices[1].port and unchanged["is_password_installed"] is True
    renamed = client.patch(f"{ADMIN}/{created['id']}", json={"title": "No probe needed"})
    assert renamed.status_code == 200 and renamed.json()["title"] == "No probe needed"


def test_https_panels_need_a_pinned_fingerprint_or_an_explicit_opt_in(client: httpx.Client) -> None:
    secure = BackgroundEmulators(count=1, password=PASSWORD, https=True).start()
    try:
        device = secure.devices[0]
        assert device.https_port is not None and device.certificate_pem is not None
        der = ssl.PEM_cert_to_DER_cert(device.certificate_pem.decode())
        fingerprint = ":".join(f"{byte:02X}" for byte in hashlib.sha256(der).digest())
        body = {
            "title": "TLS panel",
            "vendor": "2n",
            "schema": "https",
            "ip": "127.0.0.1",
            "port": device.https_port,
            "login": device.login,
            "password": PASSWORD,
        }
        unpinned = client.post(ADMIN, json=body)
        assert unpinned.status_code == 422 and "ip" in unpinned.json()["errors"]
        wrong = client.post(ADMIN, json={**body, "tls_fingerprint": "AB:" * 31 + "AB"})
        assert wrong.status_code == 422 and "ip" in wrong.json()["errors"]
        pinned = client.post(ADMIN, json={**body, "tls_fingerprint": fingerprint})
        assert pinned.status_code == 201, pinned.text
        assert pinned.json()["tls_fingerprint"] == fingerprint.replace(":", "").lower()
        assert client.delete(f"{ADMIN}/{pinned.json()['id']}").status_code == 204
        opted_in = client.post(ADMIN, json={**body, "tls_allow_self_signed": True})
        assert opted_in.status_code == 201 and opted_in.json()["tls_allow_self_signed"] is True
        assert client.post(ADMIN, json={**body, "tls_fingerprint": "not-hex"}).status_code == 422
    finally:
        secure.stop()
