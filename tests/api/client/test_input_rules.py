"""Client input rules of issue #15: a resident resets a title with null; booleans refuse null."""

from __future__ import annotations

import pytest

from entryphone.config import Settings
from entryphone.models import Role
from tests.api.client import helpers
from tests.conftest import Api
from tests.support import seed


@pytest.fixture(scope="module")
def resident(settings: Settings) -> seed.SeededAccount:
    return seed.account(settings, Role.resident)


def test_null_gives_the_intercom_its_own_title_back(
    api: Api, settings: Settings, resident: seed.SeededAccount
) -> None:
    home = helpers.intercom(settings, title="Entrance 7")
    helpers.attach(settings, home, 3, resident.id)
    with api.client(resident.token) as client:
        url = f"/api/v1/intercom/{home}"
        assert client.patch(url, json={"title": "My door"}).json()["title"] == "My door"
        assert client.patch(url, json={"is_enabled": "0"}).json()["title"] == "My door"  # absent: unchanged
        reset = client.patch(url, json={"title": None})
        assert reset.status_code == 200, reset.text
        assert reset.json()["title"] == "Entrance 7"
        refused = client.patch(url, json={"is_enabled": None})
        assert refused.status_code == 422
        assert refused.json()["errors"] == {"is_enabled": ["The is enabled field cannot be null."]}
