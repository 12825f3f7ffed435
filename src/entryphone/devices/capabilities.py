"""What a device can do. Drivers report these at probe time; callers check before acting."""

from __future__ import annotations

from enum import StrEnum


class Capability(StrEnum):
    DOOR = "door"  # open a door (switch / relay)
    KEYS = "keys"  # push RFID cards to the device
    CODES = "codes"  # push keypad codes to the device
    EVENTS = "events"  # event log subscription
    SNAPSHOT = "snapshot"  # single camera frame
    LIVE_VIDEO = "live_video"  # MJPEG live stream
    CALLS = "calls"  # answer / hang up calls
    RESTART = "restart"
    FIRMWARE = "firmware"  # firmware upload and install
    CONFIG_BACKUP = "config_backup"  # download the device configuration
    SIP = "sip"  # provision the SIP account, DTMF codes and call limits (configuration upload)
