"""Login brute force is throttled beyond what tests/api/test_token_login.py checks (the lock after the
configured failures, 429 with Retry-After, even for the right password): unknown logins are locked
the same way (no enumeration), a parallel burst does not get more guesses than configured, and one
locked login does not lock another."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from entryphone.config import Settings
from entryphone.models import Role
from tests.conftest import Api
from tests.support import seed

LOGIN = "/api/v1/token"


def test_an_unknown_login_is_locked_like_a_real_one(api: Api, settings: Settings) -> None:
    with api.client() as client:
        for _ in range(settings.login_max_failures):
            assert client.post(LOGIN, json={"login": "nobody-here", "password": "guess"}).status_code == 422
        locked = client.post(LOGIN, json={"login": "nobody-here", "password": "guess"})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0


def test_a_parallel_burst_gets_no_more_guesses_than_configured(api: Api, settings: Settings) -> None:
    resident = seed.account(settings, Role.resident)
    attempts = settings.login_max_failures * 3

    def guess(number: int) -> int:
        with httpx.Client(
            base_url=api.url, headers={"X-Client": "web", "X-UUID": f"burst-{number}"}, timeout=60
        ) as client:
            return client.post(
                LOGIN, json={"login": resident.login, "password": f"guess-{number}"}
            ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(guess, range(attempts)))
    assert set(statuses) <= {422, 429}, statuses
    assert statuses.count(422) <= settings.login_max_failures, statuses
    with api.client() as client:
        assert (
            client.post(LOGIN, json={"login": resident.login, "password": resident.password}).status_code
            == 429
        )


def test_one_locked_login_does_not_lock_another(api: Api, settings: Settings) -> None:
    victim, other = seed.account(settings, Role.resident), seed.account(settings, Role.resident)
    with api.client() as client:
        for _ in range(settings.login_max_failures):
            client.post(LOGIN, json={"login": victim.login, "password": "bad"})
        assert (
            client.post(LOGIN, json={"login": victim.login, "password": victim.password}).status_code == 429
        )
        assert client.post(LOGIN, json={"login": other.login, "password": other.password}).status_code == 200
