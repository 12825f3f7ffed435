"""POST /api/v1/token: resident login, session limit, brute-force protection, client headers."""

from __future__ import annotations

import pytest

from entryphone.config import Settings
from entryphone.models import Role
from tests.conftest import Api, _settings
from tests.support import seed
from tests.support.server import start_server

LOGIN = "/api/v1/token"


def test_login_returns_user_and_a_working_token(api: Api, settings: Settings) -> None:
    resident = seed.account(settings, Role.resident, name="Ann")
    with api.client() as client:
        reply = client.post(LOGIN, json={"login": resident.login, "password": resident.password})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["user"]["login"] == resident.login and body["user"]["name"] == "Ann"
    assert set(body["user"]) >= {"id", "name", "login", "created_at", "updated_at", "expired_at"}
    assert "password" not in reply.text and resident.password not in reply.text
    token = body["access_token"]
    with api.client(token) as client:
        # The token opens the client surface only.
        assert client.get("/api/admin/v1/intercoms/groups").status_code == 401


def test_wrong_password_is_422_and_admins_cannot_use_the_client_login(api: Api, settings: Settings) -> None:
    resident = seed.account(settings, Role.resident)
    admin = seed.account(settings, Role.admin)
    with api.client() as client:
        wrong = client.post(LOGIN, json={"login": resident.login, "password": "nope"})
        assert wrong.status_code == 422 and "login" in wrong.json()["errors"]
        assert client.post(LOGIN, json={"login": admin.login, "password": admin.password}).status_code == 422
        assert client.post(LOGIN, json={"login": "nobody-here", "password": "x"}).status_code == 422


@pytest.mark.parametrize(
    ("headers", "key"),
    [
        ({"x_client": None}, "X-Client"),
        ({"x_client": "symbian"}, "X-Client"),
        ({"x_uuid": None}, "X-UUID"),
        ({"x_uuid": "x" * 300}, "X-UUID"),
    ],
)
def test_client_headers_are_required(api: Api, headers: dict[str, str | None], key: str) -> None:
    with api.client(**headers) as client:  # type: ignore[arg-type]
        reply = client.post(LOGIN, json={"login": "a", "password": "b"})
    assert reply.status_code == 422
    assert key in reply.json()["errors"]


def test_body_validation(api: Api) -> None:
    with api.client() as client:
        reply = client.post(LOGIN, json={"login": 5})
    assert reply.status_code == 422
    assert set(reply.json()["errors"]) >= {"login", "password"}


def test_brute_force_locks_the_login_and_says_when_to_retry(api: Api, settings: Settings) -> None:
    resident = seed.account(settings, Role.resident)
    with api.client() as client:
        for _ in range(settings.login_max_failures):
            assert client.post(LOGIN, json={"login": resident.login, "password": "bad"}).status_code == 422
        locked = client.post(LOGIN, json={"login": resident.login, "password": resident.password})
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert locked.json()["retry_after"] > 0


def test_session_limit_answers_419_with_the_session_to_end(
    tmp_path_factory: pytest.TempPathFactory, database_url: str
) -> None:
    limited = _settings(database_url, tmp_path_factory.mktemp("limited"), max_sessions_per_user=2)
    running = start_server(limited)
    try:
        api = Api(running.url)
        resident = seed.account(limited, Role.resident)  # the seed itself holds one token
        body = {"login": resident.login, "password": resident.password}
        with api.client() as client:
            assert client.post(LOGIN, json=body).status_code == 200
            refused = client.post(LOGIN, json=body)
            assert refused.status_code == 419
            session_id = refused.json()["session_id"]
            accepted = client.post(LOGIN, json={**body, "session_id": session_id})
            assert accepted.status_code == 200
        # The ended session's token (the seeded one, the oldest) no longer works, and the limit
        # still holds with the two live sessions.
        with api.client(resident.token) as old:
            assert old.get("/api/v1/intercom").status_code == 401
        with api.client() as client:
            assert client.post(LOGIN, json=body).status_code == 419
    finally:
        running.stop()
