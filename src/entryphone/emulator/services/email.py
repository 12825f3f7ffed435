"""E-mail service: send a message, optionally with camera snapshots, through the panel's SMTP."""

from __future__ import annotations

from aiohttp import web

from .. import mail
from ..camera import RESOLUTIONS
from ..config import Service
from ..envelope import success
from ..errors import PROCESSING, ApiError, invalid
from ..function import GET_POST, ApiCall, Function
from .camera import resolution

DEFAULT_RESOLUTION = (640, 480)
# The manual gives timeSpan no upper bound; a device parses it as an unsigned 32-bit number.
MAX_TIME_SPAN = 2**32 - 1


async def send(call: ApiCall) -> web.StreamResponse:
    device = call.device
    params = call.params
    to = params.require("to").strip()
    subject = params.require("subject")
    if "@" not in to:
        raise invalid("to")
    body = params.get("body") or ""
    count = params.integer("pictureCount", 0, low=0, high=5)
    span = params.integer("timeSpan", 0, low=0, high=MAX_TIME_SPAN)
    assert count is not None and span is not None
    size = resolution(call) if "width" in params.values or "height" in params.values else DEFAULT_RESOLUTION
    assert size in RESOLUTIONS
    smtp = device.config.smtp
    if not smtp.host:
        raise ApiError(PROCESSING)  # no SMTP server configured
    now = device.clock.time()
    oldest = max(now - span, now - device.boot.uptime())
    moments = [oldest + (now - oldest) * i / max(count - 1, 1) for i in range(count)]
    pictures = [
        device.boot.frames.frame(device.config.device_name, device.config.camera_source, *size, at)
        for at in moments
    ]
    sender = smtp.sender or f"{device.serial}@{device.host}"
    try:
        await mail.send(smtp, mail.build(sender, to, subject, body, pictures), device.timings.smtp_timeout)
    except mail.MailError:
        raise ApiError(PROCESSING) from None
    return success()


FUNCTIONS = [Function("/api/email/send", GET_POST, Service.EMAIL, "email:control", True, send)]
