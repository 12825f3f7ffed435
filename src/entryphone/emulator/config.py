"""Device configuration: what the web UI of a real panel sets, and what config upload/reset change.

Plain dataclasses with a JSON form, used for persistence (--state-dir) and by the config XML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Final


class Service(StrEnum):
    SYSTEM = "system"
    SWITCH = "switch"
    IO = "io"
    AUDIO = "audio"
    CAMERA = "camera"
    DISPLAY = "display"
    EMAIL = "email"
    PHONE = "phone"
    LOGGING = "logging"
    ACCESS = "accesscontrol"  # 2.4x firmware only (access points)


class AuthMethod(StrEnum):
    NONE = "none"
    BASIC = "basic"
    DIGEST = "digest"


# Privileges are "<group>:<level>", the rows and columns of the manual's account table (section 4).
PRIVILEGE_GROUPS: Final = (
    "system",
    "call",
    "io",
    "switch",
    "audio",
    "camera",
    "display",
    "email",
    "uid",
    "keypad",
    "access",
)
PRIVILEGE_LEVELS: Final = ("monitoring", "control")
ALL_PRIVILEGES: Final = frozenset(f"{g}:{lvl}" for g in PRIVILEGE_GROUPS for lvl in PRIVILEGE_LEVELS)
MAX_ACCOUNTS: Final = 5
SWITCH_COUNT: Final = 4


@dataclass(slots=True)
class ServiceSecurity:
    enabled: bool = True
    https_only: bool = False
    auth: AuthMethod = AuthMethod.DIGEST


@dataclass(slots=True)
class Account:
    username: str
    password: str
    enabled: bool = True
    privileges: frozenset[str] = ALL_PRIVILEGES

    def has(self, privilege: str) -> bool:
        return self.enabled and privilege in self.privileges


@dataclass(slots=True)
class SwitchConfig:
    enabled: bool = True
    mode: str = "monostable"  # monostable | bistable
    duration: int = 5  # switchOnDuration, seconds
    type: str = "normal"  # normal | security
    codes: list[str] = field(default_factory=list)  # universal switch codes
    output: str = ""  # the I/O port this switch drives (relay1...)
    dtmf_code: str = ""  # sent by the answering phone during a call, it activates this switch


@dataclass(slots=True)
class SipAccount:
    number: str = ""
    domain: str = ""
    enabled: bool = False
    # The SIP server settings of the device's phone page; no registrar: the account does not
    # register and calls stay scripted through the control API.
    display_name: str = ""
    auth_id: str = ""  # empty: the number
    password: str = ""
    registrar: str = ""  # host[:port]
    proxy: str = ""  # host[:port]; empty: the registrar
    register: bool = True
    expires: int = 300
    transport: str = "udp"  # udp | tcp


SIP_TEXT_FIELDS: Final = ("display_name", "auth_id", "password", "registrar", "proxy", "transport")
DTMF_CODE = re.compile(r"^[0-9*#A-D]{1,16}$")
HOSTPORT = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[1-9][0-9]{0,4})?$")


@dataclass(slots=True)
class SmtpConfig:
    host: str = ""
    port: int = 25
    sender: str = ""
    username: str = ""
    password: str = ""
    starttls: bool = False


@dataclass(slots=True)
class Licence:
    enhanced_integration: bool = True
    enhanced_audio: bool = True


def _default_switches() -> list[SwitchConfig]:
    return [
        SwitchConfig(output="relay1"),
        SwitchConfig(output="relay2"),
        SwitchConfig(enabled=False),
        SwitchConfig(enabled=False),
    ]


def _default_services() -> dict[Service, ServiceSecurity]:
    return {service: ServiceSecurity() for service in Service}


@dataclass(slots=True)
class DeviceConfig:
    device_name: str = "2N Helios IP Verso"
    accounts: list[Account] = field(default_factory=lambda: [Account("admin", "2n")])
    services: dict[Service, ServiceSecurity] = field(default_factory=_default_services)
    switches: list[SwitchConfig] = field(default_factory=_default_switches)
    sip: list[SipAccount] = field(
        default_factory=lambda: [SipAccount("5046", "127.0.0.1", True), SipAccount()]
    )
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    licence: Licence = field(default_factory=Licence)
    tz_shift: int = 0  # minutes east of UTC
    ring_duration: int = 0  # seconds an outgoing call may ring; 0: the emulator's default
    talk_duration: int = 0  # seconds a call may last once answered; 0: no limit
    camera_source: str = "internal"
    card_direction: str = "any"

    def account(self, username: str) -> Account | None:
        for account in self.accounts:
            if account.enabled and account.username == username:
                return account
        return None

    def copy(self) -> DeviceConfig:
        return config_from_dict(config_to_dict(self))


def config_to_dict(config: DeviceConfig) -> dict[str, Any]:
    return {
        "device_name": config.device_name,
        "accounts": [
            {
                "username": a.username,
                "password": a.password,
                "enabled": a.enabled,
                "privileges": sorted(a.privileges),
            }
            for a in config.accounts
        ],
        "services": {
            s.value: {"enabled": sec.enabled, "https_only": sec.https_only, "auth": sec.auth.value}
            for s, sec in config.services.items()
        },
        "switches": [
            {
                "enabled": sw.enabled,
                "mode": sw.mode,
                "duration": sw.duration,
                "type": sw.type,
                "codes": list(sw.codes),
                "output": sw.output,
                "dtmf_code": sw.dtmf_code,
            }
            for sw in config.switches
        ],
        "sip": [
            {
                "number": s.number,
                "domain": s.domain,
                "enabled": s.enabled,
                **{name: getattr(s, name) for name in SIP_TEXT_FIELDS},
                "register": s.register,
                "expires": s.expires,
            }
            for s in config.sip
        ],
        "smtp": {
            "host": config.smtp.host,
            "port": config.smtp.port,
            "sender": config.smtp.sender,
            "username": config.smtp.username,
            "password": config.smtp.password,
            "starttls": config.smtp.starttls,
        },
        "licence": {
            "enhanced_integration": config.licence.enhanced_integration,
            "enhanced_audio": config.licence.enhanced_audio,
        },
        "tz_shift": config.tz_shift,
        "ring_duration": config.ring_duration,
        "talk_duration": config.talk_duration,
        "camera_source": config.camera_source,
        "card_direction": config.card_direction,
    }


def config_from_dict(data: dict[str, Any]) -> DeviceConfig:
    """The inverse of config_to_dict; missing keys keep their defaults."""
    config = DeviceConfig()
    if "device_name" in data:
        config.device_name = str(data["device_name"])
    if "accounts" in data:
        config.accounts = [
            Account(
                username=str(a["username"]),
                password=str(a["password"]),
                enabled=bool(a.get("enabled", True)),
                privileges=frozenset(p for p in a.get("privileges", ()) if p in ALL_PRIVILEGES),
            )
            for a in data["accounts"][:MAX_ACCOUNTS]
        ]
    for name, sec in data.get("services", {}).items():
        if name in Service._value2member_map_:
            config.services[Service(name)] = ServiceSecurity(
                enabled=bool(sec.get("enabled", True)),
                https_only=bool(sec.get("https_only", False)),
                auth=AuthMethod(sec.get("auth", "digest")),
            )
    if "switches" in data:
        defaults = _default_switches()
        config.switches = [
            replace(
                defaults[i],
                **{k: v for k, v in sw.items() if k in SwitchConfig.__dataclass_fields__},
            )
            for i, sw in enumerate(data["switches"][:SWITCH_COUNT])
        ] + defaults[len(data["switches"]) :]
    if "sip" in data:
        config.sip = [_sip_account(s) for s in data["sip"][:2]]
    if "smtp" in data:
        config.smtp = SmtpConfig(
            **{k: v for k, v in data["smtp"].items() if k in SmtpConfig.__dataclass_fields__}
        )
    if "licence" in data:
        config.licence = Licence(
            **{k: bool(v) for k, v in data["licence"].items() if k in Licence.__dataclass_fields__}
        )
    for key in ("tz_shift", "ring_duration", "talk_duration"):
        if key in data:
            setattr(config, key, int(data[key]))
    if not 0 <= config.ring_duration <= 600 or not 0 <= config.talk_duration <= 86_400:
        raise ValueError("ring_duration must be 0-600 and talk_duration 0-86400 seconds")
    for switch in config.switches:
        if switch.dtmf_code and not DTMF_CODE.match(str(switch.dtmf_code)):
            raise ValueError("a switch's dtmf_code is 1 to 16 of 0-9 * # A-D")
    for key in ("camera_source", "card_direction"):
        if key in data:
            setattr(config, key, str(data[key]))
    return config


def _sip_account(data: dict[str, Any]) -> SipAccount:
    account = SipAccount(str(data["number"]), str(data["domain"]), bool(data["enabled"]))
    for name in SIP_TEXT_FIELDS:
        if name in data:
            setattr(account, name, str(data[name]))
    account.register = bool(data.get("register", True))
    account.expires = int(data.get("expires", account.expires))
    for name in ("registrar", "proxy"):
        value = getattr(account, name)
        if value and not HOSTPORT.match(value):
            raise ValueError(f"sip {name} must be host or host:port")
    if account.transport not in ("udp", "tcp"):
        raise ValueError("sip transport must be udp or tcp")
    if not 10 <= account.expires <= 86_400:
        raise ValueError("sip expires must be 10 to 86400 seconds")
    return account
