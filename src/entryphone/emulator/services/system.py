"""System service: info, status, restart, firmware upload/apply, config download/upload/reset."""

from __future__ import annotations

from aiohttp import web

from .. import config_xml
from ..config import Service
from ..envelope import success
from ..errors import NO_DATA, ApiError, invalid, missing
from ..firmware import PRODUCT, parse_image, version_key
from ..function import GET_POST, ApiCall, Function, Handler

CONTROL = "system:control"


async def info(call: ApiCall) -> web.StreamResponse:
    device = call.device
    result = {
        "variant": device.identity.variant,
        "serialNumber": device.serial,
        "hwVersion": device.identity.hw_version,
        "swVersion": device.sw_version,
        "buildType": device.profile.build_type,
        "deviceName": device.config.device_name,
    }
    if device.profile.mac_in_info:
        result["macAddr"] = device.mac
    return success(result)


async def status(call: ApiCall) -> web.StreamResponse:
    device = call.device
    return success({"systemTime": int(device.clock.time()), "upTime": int(device.boot.uptime())})


async def restart(call: ApiCall) -> web.StreamResponse:
    call.after.append(call.device.restart)
    return success()


async def firmware_upload(call: ApiCall) -> web.StreamResponse:
    data = call.params.blob("blob-fw")
    if data is None:
        raise missing("blob-fw")
    image = parse_image(data)
    if image is None or image.product != PRODUCT:
        raise invalid("blob-fw")
    call.device.boot.pending_firmware = image
    downgrade = version_key(image.version) < version_key(call.device.sw_version)
    return success({"version": image.version, "downgrade": downgrade})


async def firmware_apply(call: ApiCall) -> web.StreamResponse:
    device = call.device
    image = device.boot.pending_firmware
    if image is None:
        raise ApiError(NO_DATA)  # nothing uploaded to apply

    def install() -> None:
        device.sw_version = image.version
        device.save()

    call.after.append(lambda: device.restart(install))
    return success()


async def config(call: ApiCall) -> web.StreamResponse:
    device = call.device
    if call.request.method == "PUT":
        data = call.params.blob("blob-cfg")
        if data is None:
            raise missing("blob-cfg")
        try:
            new_config, directory = config_xml.parse(data)
        except config_xml.ConfigFileError:
            raise invalid("blob-cfg") from None
        device.apply_config(new_config, directory)
        return success()
    return web.Response(body=config_xml.render(device), content_type="application/xml")


async def factory_reset(call: ApiCall) -> web.StreamResponse:
    call.after.append(call.device.factory_reset)
    return success()


def _system(
    path: str, handler: Handler, methods: frozenset[str] = GET_POST, blob_limits: dict[str, int] | None = None
) -> Function:
    return Function(path, methods, Service.SYSTEM, CONTROL, True, handler, blob_limits or {})


FUNCTIONS = [
    Function("/api/system/info", GET_POST, Service.SYSTEM, None, False, info),
    _system("/api/system/status", status),
    _system("/api/system/restart", restart),
    _system("/api/firmware", firmware_upload, frozenset({"PUT"}), blob_limits={"blob-fw": 64 * 1024 * 1024}),
    _system("/api/firmware/apply", firmware_apply),
    _system(
        "/api/config", config, frozenset({"GET", "POST", "PUT"}), blob_limits={"blob-cfg": 16 * 1024 * 1024}
    ),
    _system("/api/config/factoryreset", factory_reset),
]
