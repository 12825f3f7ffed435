"""The configuration file of GET/PUT /api/config: the manual's XML header and DeviceDatabase root.

The manual shows only the start of the file; the body here is a typed rendering of the
emulator's configuration and directory, so download -> upload round-trips exactly.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

from .config import DeviceConfig, config_from_dict, config_to_dict
from .directory import Directory

if TYPE_CHECKING:
    from .runtime import Device

VERSION = "4"


class ConfigFileError(ValueError):
    pass


def render(device: Device) -> bytes:
    identity = device.identity
    header = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!--\n'
        f"        Product name: {identity.variant}\n"
        f"       Serial number: {identity.serial}\n"
        f"    Software version: {device.sw_version}\n"
        f"    Hardware version: {identity.hw_version}\n"
        f"  Bootloader version: {device.sw_version}\n"
        "             Display: Yes\n"
        "         Card reader: Yes\n-->\n"
    )
    root = ET.Element("DeviceDatabase", Version=VERSION)
    _encode(root, "Config", config_to_dict(device.config))
    _encode(root, "Directory", device.directory.to_dict())
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode").encode()
    return header.encode() + body + b"\n"


def parse(data: bytes) -> tuple[DeviceConfig, Directory | None]:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ConfigFileError("document type declarations are not accepted")
    try:
        root = ET.fromstring(data)  # noqa: S314
    except ET.ParseError as error:
        raise ConfigFileError(str(error)) from None
    if root.tag != "DeviceDatabase" or root.get("Version") != VERSION:
        raise ConfigFileError("not a DeviceDatabase version 4 file")
    config_node = root.find("Config")
    if config_node is None:
        raise ConfigFileError("no Config section")
    try:
        config = config_from_dict(_decode(config_node))
        directory_node = root.find("Directory")
        directory = None if directory_node is None else Directory.from_dict(_decode(directory_node))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ConfigFileError(f"invalid value: {error}") from None
    return config, directory


def _encode(parent: ET.Element, tag: str, value: Any) -> None:
    node = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        node.set("type", "map")
        for key, item in value.items():
            child_tag = key if key.isidentifier() else "entry"
            _encode(node, child_tag, item)
            if child_tag != key:
                node[-1].set("key", key)
    elif isinstance(value, list):
        node.set("type", "list")
        for item in value:
            _encode(node, "item", item)
    elif isinstance(value, bool):
        node.set("type", "bool")
        node.text = "1" if value else "0"
    elif isinstance(value, int):
        node.set("type", "int")
        node.text = str(value)
    elif value is None:
        node.set("type", "null")
    else:
        node.set("type", "str")
        node.text = str(value)


def _decode(node: ET.Element) -> Any:
    kind = node.get("type", "str")
    if kind == "map":
        return {child.get("key", child.tag): _decode(child) for child in node}
    if kind == "list":
        return [_decode(child) for child in node]
    text = node.text or ""
    if kind == "bool":
        if text not in ("0", "1"):
            raise ValueError(f"{node.tag}: {text!r} is not 0 or 1")
        return text == "1"
    if kind == "int":
        return int(text)
    if kind == "null":
        return None
    if kind == "str":
        return text
    raise ValueError(f"{node.tag}: unknown type {kind!r}")
