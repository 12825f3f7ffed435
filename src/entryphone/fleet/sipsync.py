"""Desired-state provisioning of each panel's phone: SIP account 1 from the intercom's
sip_credentials (registering at the platform's SIP server and domain), the relays' DTMF codes from
sip_options.dtmf and the ring and talk limits from sip_options (the platform's defaults otherwise).

An intercom with no SIP settings is left alone, unless the platform provisioned it before: then
its account is switched off and its codes cleared, so a panel never keeps credentials the platform
no longer holds. The password is decrypted only to build the settings sent to the device."""

from __future__ import annotations

import logging

from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.db.base import utcnow
from entryphone.devices.capabilities import Capability
from entryphone.devices.errors import CapabilityMissing, DriverError
from entryphone.devices.models import SipAccountSettings, SipProvisionReport, SipSettings
from entryphone.fleet import background, repository
from entryphone.fleet.access import DeviceAccess
from entryphone.fleet.announce import announce
from entryphone.intercoms import service as intercoms
from entryphone.models import Intercom
from entryphone.pushes import PushEvent
from entryphone.security.secretbox import SecretBox
from entryphone.siprouting.service import call_limits

log = logging.getLogger(__name__)

OK = "ok"
FAILED = "failed"
NOTHING_TO_PROVISION = "nothing to provision: the intercom has no sip_credentials or sip_options"


def has_sip_settings(intercom: Intercom) -> bool:
    return bool(intercom.sip_login or intercom.sip_options)


def desired_settings(settings: Settings, secrets: SecretBox, intercom: Intercom) -> SipSettings:
    account = None
    if intercom.sip_server and intercom.sip_login and intercom.sip_password_encrypted:
        server = intercom.sip_server
        host = f"[{server}]" if ":" in server and not server.startswith("[") else server
        account = SipAccountSettings(
            registrar=f"{host}:{intercom.sip_port or 5060}",
            number=intercom.sip_login,
            # The platform's domain: the panel dials sip:<flat>@domain and is authenticated by login.
            domain=settings.sip_domain,
            auth_id=intercom.sip_login,
            password=secrets.decrypt(intercom.sip_password_encrypted),
        )
    options = intercom.sip_options or {}
    dtmf = {
        int(item["id"]): str(item["value"]).upper()
        for item in options.get("dtmf") or ()
        if isinstance(item, dict) and "id" in item and "value" in item
    }
    ring, talk = call_limits(settings, options)
    return SipSettings(account=account, dtmf=dtmf, ring_duration=ring, talk_duration=talk)


async def ensure_provisionable(access: DeviceAccess, intercom: Intercom) -> None:
    """Refuse at once (DeviceCannot, 409) a panel whose configuration cannot be written."""
    info = await access.driver(intercom).info()
    if Capability.SIP not in info.capabilities:
        reason = info.unavailable.get(Capability.SIP, "the panel's configuration cannot be written")
        raise CapabilityMissing(Capability.SIP, reason)


async def provision_intercom(
    context: AppContext, access: DeviceAccess, intercom_id: int, *, force: bool = False
) -> SipProvisionReport | None:
    """Provision one panel and record the outcome as its SIP sync status; None when there is
    nothing to provision (no SIP settings, never provisioned): the installer's phone settings are
    not the platform's to change. Asked for by an admin (`force`), that is recorded too.
    Raises the driver's error after recording it."""
    async with context.sessions() as session:
        intercom = await intercoms.get_live(session, intercom_id)
        state = await repository.get_device_state(session, intercom_id)
    if not (has_sip_settings(intercom) or (state is not None and state.sip_sync_status)):
        if force:
            await _record(context, intercom_id, OK, NOTHING_TO_PROVISION)
        return None
    driver = access.driver(intercom)
    try:
        wanted = desired_settings(context.settings, context.secrets, intercom)
        report = await driver.provision_sip(wanted)
    except DriverError as exc:
        await _record(context, intercom_id, FAILED, exc.message)
        raise
    message = (
        "changed: " + ", ".join(report.changed) if report.changed else "the panel already had these settings"
    )
    await _record(context, intercom_id, OK, message)
    return report


async def _record(context: AppContext, intercom_id: int, status: str, message: str) -> None:
    async with context.sessions() as session, session.begin():
        await repository.upsert_device_state(
            session,
            intercom_id,
            sip_sync_status=status,
            sip_sync_message=message[:2000],
            sip_synced_at=utcnow(),
        )
    data = {"intercom_id": intercom_id, "status": status, "message": message}
    announce(context.services, PushEvent.intercom_sync_sip, data)


def schedule_provision(context: AppContext, access: DeviceAccess, intercom_id: int) -> None:
    """Provision in the background (the admin's request answers 204 at once); the outcome is
    recorded as the intercom's SIP sync status and announced to admins."""
    background.spawn(
        f"intercom {intercom_id}: SIP provisioning",
        lambda: provision_intercom(context, access, intercom_id, force=True),
    )
