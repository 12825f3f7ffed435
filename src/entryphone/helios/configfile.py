"""The phone settings inside the configuration file of GET/PUT /api/config (manual 5.6).

The manual shows only the file's XML header and `DeviceDatabase` root; the body read and written
here is the one entryphone's emulator holds (typed `Config` map: `sip` accounts, `switches` with
their `dtmf_code`, `ring_duration`, `talk_duration`). Everything else in the file (device accounts,
directory, services) is passed back untouched, so an edit changes only what it names.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from entryphone.helios.errors import HeliosProtocolError

SIP_FIELDS = ("registrar", "proxy", "number", "domain", "auth_id", "password")


@dataclass(frozen=True, slots=True)
class SipAccountConfig:
    enabled: bool
    registrar: str
    proxy: str
    number: str
    domain: str
    auth_id: str
    password: str


class ConfigFile:
    """One downloaded configuration, edited in place and serialised back for upload."""

    def __init__(self, data: bytes) -> None:
        # A device's reply is outside input: no DTD, hence no entity expansion.
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            raise HeliosProtocolError("the configuration file declares a document type")
        try:
            self._root = ET.fromstring(data)  # noqa: S314 - DTDs refused above
        except ET.ParseError as error:
            raise HeliosProtocolError(f"the configuration file is not XML: {error}") from None
        if self._root.tag != "DeviceDatabase":
            raise HeliosProtocolError("the configuration file has no DeviceDatabase root")
        config = self._root.find("Config")
        if config is None:
            raise HeliosProtocolError("the configuration file has no Config section")
        self._config = config

    # -- reading --------------------------------------------------------------------------------

    @property
    def sip_account_count(self) -> int:
        return len(self._items("sip"))

    @property
    def switch_count(self) -> int:
        return len(self._items("switches"))

    def sip_account(self, account: int) -> SipAccountConfig:
        item = self._item("sip", account)
        values = {name: _text(item, name) for name in SIP_FIELDS}
        return SipAccountConfig(enabled=_text(item, "enabled") == "1", **values)

    def dtmf_code(self, switch: int) -> str:
        return _text(self._item("switches", switch), "dtmf_code")

    def duration(self, name: str) -> int:
        value = _text(self._config, name)
        try:
            return int(value or 0)
        except ValueError:
            raise HeliosProtocolError(f"the configuration's {name} is not a number") from None

    # -- editing --------------------------------------------------------------------------------

    def set_sip_account(self, account: int, settings: SipAccountConfig) -> None:
        item = self._item("sip", account)
        _set(item, "enabled", "1" if settings.enabled else "0", "bool")
        for name in SIP_FIELDS:
            _set(item, name, getattr(settings, name), "str")

    def set_dtmf_code(self, switch: int, code: str) -> None:
        _set(self._item("switches", switch), "dtmf_code", code, "str")

    def set_duration(self, name: str, seconds: int) -> None:
        _set(self._config, name, str(seconds), "int")

    def to_bytes(self) -> bytes:
        """The file to upload: its Config section only. The directory (users, cards, codes) is the
        key sync's; a copy of it in the upload, applied by the device about 15 s later, would undo
        key changes made meanwhile. A file without it leaves the device's directory as it is."""
        for directory in self._root.findall("Directory"):
            self._root.remove(directory)
        data: bytes = ET.tostring(self._root, encoding="utf-8", xml_declaration=True)
        return data

    # -- helpers --------------------------------------------------------------------------------

    def _items(self, name: str) -> list[ET.Element]:
        node = self._config.find(name)
        return [] if node is None else node.findall("item")

    def _item(self, name: str, number: int) -> ET.Element:
        items = self._items(name)
        if not 1 <= number <= len(items):
            raise IndexError(f"the device has no {name} entry {number} (it has {len(items)})")
        return items[number - 1]


def _text(parent: ET.Element, name: str) -> str:
    node = parent.find(name)
    return "" if node is None or node.text is None else node.text


def _set(parent: ET.Element, name: str, value: str, kind: str) -> None:
    node = parent.find(name)
    if node is None:
        node = ET.SubElement(parent, name)
    node.set("type", kind)
    node.text = value or None
