"""Password spraying: one client address cannot try passwords across many logins. The per-address
limit counts failed logins whatever login they name; behind a trusted proxy the address comes from
the configured forwarded header, and from nobody else."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from entryphone.config import Settings
from entryphone.models import Role
from tests.support import seed
from tests.support.server import RunningServer, start_server

LOGIN = "/api/v1/token"
LIMIT = 3
HEADERS = {"X-Client": "web", "X-UUID": "spray-phone"}


def _server(settings: Settings, **overrides: object) -> Iterator[RunningServer]:
    running = start_server(settings.model_copy(update={"login_max_failures_per_address": LIMIT, **overrides}))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def direct(settings: Settings) -> Iterator[RunningServer]:
    """No proxy is trusted: a forwarded header is anyone's claim and is ignored."""
    yield from _server(settings)


@pytest.fixture(scope="module")
def proxied(settings: Settings) -> Iterator[RunningServer]:
    """The test client (127.0.0.1) is the trusted reverse proxy, reporting clients in X-Real-Client."""
    yield from _server(settings, trusted_proxies="127.0.0.1, ::1", forwarded_header="X-Real-Client")


def _login(server: RunningServer, login: str, password: str, forwarded: str | None = None) -> httpx.Response:
    headers = dict(HEADERS)
    if forwarded is not None:
        headers["X-Forwarded-For"] = forwarded
        headers["X-Real-Client"] = forwarded
    return httpx.post(
        f"{server.url}{LOGIN}", json={"login": login, "password": password}, headers=headers, timeout=30
    )


def test_one_address_cannot_spray_a_password_across_logins(direct: RunningServer, settings: Settings) -> None:
    victims = [seed.account(settings, Role.resident) for _ in range(LIMIT + 1)]
    # One guess per login: the per-login throttle (5) never trips, the per-address one does. A
    # forwarded header from an untrusted peer does not make each guess come from somewhere else.
    for number, victim in enumerate(victims[:LIMIT]):
        assert (
            _login(direct, victim.login, "Summer2024!", forwarded=f"198.51.100.{number}").status_code == 422
        )
    refused = _login(direct, victims[LIMIT].login, victims[LIMIT].password, forwarded="198.51.100.200")
    assert refused.status_code == 429, refused.text
    retry_after = int(refused.headers["Retry-After"])
    assert 0 < retry_after <= settings.login_lockout_seconds
    assert refused.json() == {
        "message": f"Too many attempts. Try again in {retry_after} seconds.",
        "retry_after": retry_after,
    }


def test_behind_a_trusted_proxy_each_client_address_counts_alone(
    proxied: RunningServer, settings: Settings
) -> None:
    victims = [seed.account(settings, Role.resident) for _ in range(LIMIT + 2)]
    # A client may prepend anything to the header; the proxy appends the address it saw.
    for number, victim in enumerate(victims[:LIMIT]):
        spoofed = f"203.0.113.{number}, 192.0.2.10"
        assert _login(proxied, victim.login, "Winter2024!", forwarded=spoofed).status_code == 422
    locked = _login(proxied, victims[LIMIT].login, victims[LIMIT].password, forwarded="192.0.2.10")
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    # Another client behind the same proxy is not locked out by its neighbour.
    other = _login(proxied, victims[LIMIT + 1].login, victims[LIMIT + 1].password, forwarded="192.0.2.11")
    assert other.status_code == 200, other.text


def test_successful_logins_do_not_count_against_an_address(
    proxied: RunningServer, settings: Settings
) -> None:
    resident = seed.account(settings, Role.resident)
    for _ in range(LIMIT * 2):
        assert _login(proxied, resident.login, resident.password, forwarded="192.0.2.50").status_code == 200
    # A locked login's refusals are no guesses either: they do not lock the address.
    target = seed.account(settings, Role.resident)
    for number in range(settings.login_max_failures):
        assert _login(proxied, target.login, "nope", forwarded=f"192.0.2.{60 + number}").status_code == 422
    for _ in range(LIMIT + 1):
        assert _login(proxied, target.login, "nope", forwarded="192.0.2.90").status_code == 429
    assert _login(proxied, resident.login, resident.password, forwarded="192.0.2.90").status_code == 200
