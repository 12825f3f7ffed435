"""ORM tables, one file per table. Importing this package registers all of them on Base.metadata."""

from entryphone.models.account import Account, Role
from entryphone.models.api_token import ApiToken
from entryphone.models.camera import Camera, CameraStream
from entryphone.models.code import IntercomCode
from entryphone.models.flat import FlatResident, IntercomFlat
from entryphone.models.group import IntercomGroup
from entryphone.models.intercom import Intercom
from entryphone.models.key import IntercomKey
from entryphone.models.login_throttle import LoginThrottle

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
