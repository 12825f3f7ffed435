"""The emulator's firmware image format, so PUT /api/firmware can tell good files from bad.

An image is `HIPFW1\\n`, a JSON header line {"product", "version"}, the payload, and the SHA-256
of everything before it. A truncated or altered file, or one for another product, is refused
(code 12), as the manual says of corrupted or foreign firmware.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

MAGIC = b"HIPFW1\n"
PRODUCT = "2N Helios IP"


@dataclass(frozen=True, slots=True)
class FirmwareImage:
    product: str
    version: str


def build_image(version: str, payload: bytes = b"", product: str = PRODUCT) -> bytes:
    """A valid image, for tests and for operators staging upgrades."""
    body = MAGIC + json.dumps({"product": product, "version": version}).encode() + b"\n" + payload
    return body + hashlib.sha256(body).digest()


def parse_image(data: bytes) -> FirmwareImage | None:
    """The image's header, or None when the file is corrupted or not a firmware at all."""
    if len(data) < len(MAGIC) + 32 or not data.startswith(MAGIC):
        return None
    body, digest = data[:-32], data[-32:]
    if hashlib.sha256(body).digest() != digest:
        return None
    header, sep, _ = body[len(MAGIC) :].partition(b"\n")
    try:
        fields = json.loads(header) if sep else None
    except ValueError:
        return None
    if not isinstance(fields, dict) or not isinstance(fields.get("version"), str):
        return None
    return FirmwareImage(product=str(fields.get("product", "")), version=fields["version"])


def version_key(version: str) -> tuple[int, ...]:
    parts = []
    for part in version.split("."):
        parts.append(int(part) if part.isdigit() else -1)
    return tuple(parts)
