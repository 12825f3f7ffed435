"""ORM tables, one file per table. Importing this package registers every table on Base.metadata:
each module in the package is imported, so adding a table means adding a file (and a migration)."""

import importlib
import pkgutil

from entryphone.db.base import Base as _Base
from entryphone.models.account import Account, Role
from entryphone.models.api_token import ApiToken
from entryphone.models.camera import Camera, CameraStream
from entryphone.models.code import IntercomCode
from entryphone.models.flat import FlatResident, IntercomFlat
from entryphone.models.group import IntercomGroup
from entryphone.models.intercom import Intercom
from entryphone.models.key import IntercomKey
from entryphone.models.login_throttle import LoginThrottle

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "Account",
    "ApiToken",
    "Camera",
    "CameraStream",
    "FlatResident",
    "Intercom",
    "IntercomCode",
    "IntercomFlat",
    "IntercomGroup",
    "IntercomKey",
    "LoginThrottle",
    "Role",
]

# ids are never reused (migration 0007_flat_ids): on SQLite every table but `intercoms` (soft deletes
# only) declares AUTOINCREMENT; PostgreSQL sequences never go back anyway.
for _table in _Base.metadata.tables.values():
    if _table.name != "intercoms" and "id" in _table.primary_key.columns:
        _table.dialect_options["sqlite"]["autoincrement"] = True
