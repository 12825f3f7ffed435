"""Standalone async client for the 2N Helios IP HTTP API (manual 2.21, plus /api/dir and
/api/accesspoint of newer firmware). Imports nothing else of entryphone."""

from entryphone.helios.api.accesspoint import GrantAccessResult
from entryphone.helios.api.call import CallSession
from entryphone.helios.api.camera import CameraCaps, CameraSource, Resolution
from entryphone.helios.api.directory import (
    DirAccess,
    DirPage,
    DirQueryResult,
    DirRecordResult,
    DirTemplate,
    DirUser,
    DirWriteResult,
)
from entryphone.helios.api.display import DisplayCaps
from entryphone.helios.api.firmware import FirmwareCheck
from entryphone.helios.api.io import IoPortCaps, IoPortStatus
from entryphone.helios.api.log import LogEvent
from entryphone.helios.api.phone import SipAccountStatus
from entryphone.helios.api.switch import SwitchAction, SwitchCaps, SwitchStatus
from entryphone.helios.api.system import SystemInfo, SystemStatus
from entryphone.helios.auth import Credentials
from entryphone.helios.client import HeliosClient
from entryphone.helios.configfile import ConfigFile, SipAccountConfig
from entryphone.helios.errors import (
    API_ERRORS,
    AuthorisationRequired,
    FunctionDisabled,
    FunctionLicensed,
    FunctionNotSupported,
    HeliosApiError,
    HeliosAuthError,
    HeliosConnectionError,
    HeliosError,
    HeliosProtocolError,
    HeliosTimeout,
    HeliosTLSError,
    HeliosTransportError,
    InsufficientPrivileges,
    InvalidAuthenticationMethod,
    InvalidConnectionType,
    InvalidParameter,
    InvalidRequestMethod,
    InvalidRequestPath,
    MissingParameter,
    NoDataAvailable,
    ParameterTooBig,
    ProcessingError,
    api_error,
)
from entryphone.helios.pool import HeliosPool
from entryphone.helios.stream import HeliosStream, MjpegFrame
from entryphone.helios.tls import TlsPolicy
from entryphone.helios.transport import BinaryReply

__all__ = [
    "API_ERRORS",
    "AuthorisationRequired",
    "BinaryReply",
    "CallSession",
    "CameraCaps",
    "CameraSource",
    "ConfigFile",
    "Credentials",
    "DirAccess",
    "DirPage",
    "DirQueryResult",
    "DirRecordResult",
    "DirTemplate",
    "DirUser",
    "DirWriteResult",
    "DisplayCaps",
    "FirmwareCheck",
    "FunctionDisabled",
    "FunctionLicensed",
    "FunctionNotSupported",
    "GrantAccessResult",
    "HeliosApiError",
    "HeliosAuthError",
    "HeliosClient",
    "HeliosConnectionError",
    "HeliosError",
    "HeliosPool",
    "HeliosProtocolError",
    "HeliosStream",
    "HeliosTLSError",
    "HeliosTimeout",
    "HeliosTransportError",
    "InsufficientPrivileges",
    "InvalidAuthenticationMethod",
    "InvalidConnectionType",
    "InvalidParameter",
    "InvalidRequestMethod",
    "InvalidRequestPath",
    "IoPortCaps",
    "IoPortStatus",
    "LogEvent",
    "MissingParameter",
    "MjpegFrame",
    "NoDataAvailable",
    "ParameterTooBig",
    "ProcessingError",
    "Resolution",
    "SipAccountConfig",
    "SipAccountStatus",
    "SwitchAction",
    "SwitchCaps",
    "SwitchStatus",
    "SystemInfo",
    "SystemStatus",
    "TlsPolicy",
    "api_error",
]
