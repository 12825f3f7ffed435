"""The /api functions, one module per service; FUNCTIONS is the manual's section 5 table."""

from __future__ import annotations

from ..function import Function
from . import accesspoint, audio, camera, directory, display, email, io, log, pcap, phone, switch, system

FUNCTIONS: list[Function] = [
    *system.FUNCTIONS,
    *switch.FUNCTIONS,
    *io.FUNCTIONS,
    *phone.FUNCTIONS,
    *camera.FUNCTIONS,
    *display.FUNCTIONS,
    *log.FUNCTIONS,
    *audio.FUNCTIONS,
    *email.FUNCTIONS,
    *pcap.FUNCTIONS,
    *directory.FUNCTIONS,
    *accesspoint.FUNCTIONS,
]
