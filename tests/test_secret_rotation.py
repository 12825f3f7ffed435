"""SECRET_KEY rotation: `entryphone secrets rotate` re-encrypts every stored secret under the new
key, reading values written under a fallback key; a value no key opens changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.intercoms import service as intercoms
from entryphone.intercoms.changes import IntercomChanges
from entryphone.models import Intercom
from entryphone.security.secretbox import SecretBox, SecretBoxError
from tests.support import seed

OLD, NEW = "old-key-" + "a" * 40, "new-key-" + "b" * 40


def rotate(settings: Settings, key: str, fallbacks: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENTRYPHONE_")}
    env |= {
        "ENTRYPHONE_DATA_DIR": str(settings.data_dir),
        "ENTRYPHONE_DATABASE_URL": settings.database_url,
        "ENTRYPHONE_SECRET_KEY": key,
    }
    if fallbacks is not None:
        env["ENTRYPHONE_SECRET_KEY_FALLBACKS"] = fallbacks
    return subprocess.run(
        [sys.executable, "-m", "entryphone", "secrets", "rotate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def stored(settings: Settings, intercom_id: int) -> tuple[str, str]:
    async def work(session: AsyncSession, _context: AppContext) -> tuple[str, str]:
        row = (await session.execute(select(Intercom).where(Intercom.id == intercom_id))).scalar_one()
        assert row.password_encrypted and row.sip_password_encrypted
        return row.password_encrypted, row.sip_password_encrypted

    return seed.in_session(settings, work)


def test_rotation_moves_every_secret_to_the_new_key(settings: Settings) -> None:
    under_old = settings.model_copy(update={"secret_key": SecretStr(OLD)})

    async def create(session: AsyncSession, context: AppContext) -> int:
        fields = {
            "title": "Rotation",
            "vendor": "2n",
            "login": "admin",
            "password": "panel-pass",
            "sip_credentials": {"server": "sip.example.net", "port": 5060, "login": seed.unique("rot"),
                                "password": "sip-pass"},
        }  # fmt: skip
        return (await intercoms.create(session, context.secrets, IntercomChanges.model_validate(fields))).id

    intercom_id = seed.in_session(under_old, create)
    before = stored(settings, intercom_id)
    assert SecretBox(OLD).decrypt(before[0]) == "panel-pass"

    refused = rotate(settings, NEW, None)
    assert refused.returncode == 1 and "SECRET_KEY_FALLBACKS" in refused.stderr
    unrelated = rotate(settings, NEW, "some-other-key")
    assert unrelated.returncode == 1 and "nothing was changed" in unrelated.stderr
    assert "Traceback" not in unrelated.stderr
    assert stored(settings, intercom_id) == before

    done = rotate(settings, NEW, OLD)
    assert done.returncode == 0, done.stderr
    assert (
        "intercoms.password_encrypted:" in done.stdout and "intercoms.sip_password_encrypted:" in done.stdout
    )
    assert "panel-pass" not in done.stdout + done.stderr
    password, sip_password = stored(settings, intercom_id)
    assert SecretBox(NEW).decrypt(password) == "panel-pass"
    assert SecretBox(NEW).decrypt(sip_password) == "sip-pass"
    with pytest.raises(SecretBoxError):
        SecretBox(OLD).decrypt(password)
