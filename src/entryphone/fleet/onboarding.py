"""Onboarding: before a panel's connection is stored, the panel is asked who it is and what it can
do. A wrong password or an unreachable address is a 422 naming the field, and nothing is written."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from entryphone import vocabulary
from entryphone.devices.errors import DeviceAuthFailed, DeviceProtocolError, DeviceUnreachable, DriverError
from entryphone.devices.models import DeviceInfo, DeviceTarget
from entryphone.errors import ValidationFailed
from entryphone.fleet.access import DeviceAccess
from entryphone.models import Intercom

CONNECTION_FIELDS = ("schema", "ip", "port", "login", "password", "tls_fingerprint", "tls_allow_self_signed")


def _vendor(changes: Mapping[str, Any], existing: Intercom | None) -> str:
    return str(changes.get("vendor") or (existing.vendor if existing else "") or "")


def _pick(changes: Mapping[str, Any], existing: Intercom | None, field: str) -> Any:
    if field in changes:
        return changes[field]
    return getattr(existing, field, None) if existing is not None else None


def wants_probe(access: DeviceAccess, changes: Mapping[str, Any], existing: Intercom | None) -> bool:
    """A probe is due when the vendor has a driver, the request sets or changes the connection (or
    the vendor), and there is a device address to reach."""
    return (
        access.has_driver(_vendor(changes, existing))
        and any(field in changes for field in (*CONNECTION_FIELDS, "vendor"))
        and bool(_pick(changes, existing, "ip"))
    )


async def probe(
    access: DeviceAccess, changes: Mapping[str, Any], existing: Intercom | None = None
) -> DeviceInfo:
    """Ask the panel the intercom will point at once `changes` apply who it is and what it can do.
    Call only when `wants_probe`; any failure is a ValidationFailed naming the field to fix."""
    vendor = _vendor(changes, existing)

    def pick(field: str) -> Any:
        return _pick(changes, existing, field)

    ip = pick("ip")
    password = changes.get("password")
    if password is None and existing is not None and existing.password_encrypted:
        password = access.secrets.decrypt(existing.password_encrypted)
    target = DeviceTarget(
        vendor=vendor,
        host=str(ip),
        port=pick("port"),
        https=(pick("schema") or "http") == "https",
        username=pick("login"),
        password=password,
        tls_fingerprint_sha256=pick("tls_fingerprint"),
        allow_self_signed=bool(pick("tls_allow_self_signed")),
        timeout=access.settings.command_timeout,
    )
    try:
        return await access.driver_for_target(target).probe()
    except DeviceAuthFailed as exc:
        raise ValidationFailed.one(
            "password", "The device refused this login and password; check them on the panel."
        ) from exc
    except DeviceUnreachable as exc:
        where = f"{target.host}:{target.port}" if target.port else target.host
        raise ValidationFailed.one(
            "ip", f"The device at {where} did not answer ({exc.message}); check ip, port and schema."
        ) from exc
    except (DeviceProtocolError, DriverError) as exc:
        raise ValidationFailed.one(
            "ip", f"The device at {target.host} does not answer like a {vendor} panel: {exc.message}"
        ) from exc


def facts(info: DeviceInfo, changes: Mapping[str, Any], existing: Intercom | None) -> dict[str, Any]:
    """What the probe adds to the intercom: its identity (unless the caller set it) and the facts."""
    learnt: dict[str, Any] = {}
    if info.serial and "serial_number" not in changes:
        learnt["serial_number"] = info.serial
    if info.mac and "mac" not in changes:
        learnt["mac"] = info.mac
    model = vocabulary.canonical_model(info.vendor, info.model)
    if model and "model" not in changes:
        learnt["model"] = model
    return learnt


def device_info_record(info: DeviceInfo) -> dict[str, Any]:
    return {
        "serial": info.serial,
        "mac": info.mac,
        "model": info.model,
        "firmware": info.firmware,
        "name": info.name,
        "profile": info.profile,
        "capabilities": sorted(capability.value for capability in info.capabilities),
        "unavailable": {capability.value: reason for capability, reason in info.unavailable.items()},
    }
