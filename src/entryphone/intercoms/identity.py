"""How a panel is identified: MAC address and serial number, normalised one way everywhere."""

from __future__ import annotations

import re

_HEX12 = re.compile(r"[0-9A-F]{12}")
_SERIAL = re.compile(r"[0-9A-Za-z][0-9A-Za-z._/-]{0,127}")


def normalize_mac(raw: str) -> str:
    """`AA:BB:CC:DD:EE:FF` from any case, with `:` or `-` separators or none.

    Raises ValueError with a message fit for a 422 when `raw` is not a MAC address.
    """
    text = raw.strip().upper()
    if len(text) == 17 and (text[2::3] == ":" * 5 or text[2::3] == "-" * 5):
        digits = text.replace(":", "").replace("-", "")
    elif len(text) == 12:
        digits = text
    else:
        digits = ""
    if not _HEX12.fullmatch(digits):
        raise ValueError("The mac must be a MAC address such as AA:BB:CC:DD:EE:FF.")
    return ":".join(digits[index : index + 2] for index in range(0, 12, 2))


def normalize_serial(raw: str) -> str:
    """A serial number as printed on the panel: trimmed; letters, digits and . _ / - only, up to 128.

    Case is kept (vendors print mixed case); uniqueness is per vendor among live intercoms.
    """
    text = raw.strip()
    if not _SERIAL.fullmatch(text):
        raise ValueError(
            "The serial_number must be 1 to 128 letters, digits, dots, dashes, slashes or underscores."
        )
    return text
