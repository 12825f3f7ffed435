"""Normalisers other engineers call: MAC, serial, key values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entryphone.intercoms.identity import normalize_mac, normalize_serial
from entryphone.keys.service import normalize_key


@pytest.mark.parametrize(
    "raw", ["aa:bb:cc:dd:ee:ff", "AA-BB-CC-DD-EE-FF", "aabbccddeeff", " Aa:bB:cc:DD:ee:FF "]
)
def test_mac_variants(raw: str) -> None:
    assert normalize_mac(raw) == "AA:BB:CC:DD:EE:FF"


@pytest.mark.parametrize(
    "raw", ["", "aa:bb:cc:dd:ee", "gg:bb:cc:dd:ee:ff", "aa:bb-cc:dd:ee:ff", "aabbccddeeff00"]
)
def test_mac_rejects(raw: str) -> None:
    with pytest.raises(ValueError, match="MAC address"):
        normalize_mac(raw)


@given(st.binary(min_size=6, max_size=6), st.sampled_from([":", "-", ""]), st.booleans())
def test_mac_roundtrip(raw: bytes, separator: str, lower: bool) -> None:
    text = separator.join(f"{byte:02x}" if lower else f"{byte:02X}" for byte in raw)
    assert normalize_mac(text) == ":".join(f"{byte:02X}" for byte in raw)


def test_serial() -> None:
    assert normalize_serial(" SN-12/ab_3.4 ") == "SN-12/ab_3.4"
    with pytest.raises(ValueError):
        normalize_serial("has space")


@pytest.mark.parametrize(
    ("raw", "expected"), [("14ec4e5b", "14EC4E5B"), ("0000003042CAAC", "0000003042CAAC")]
)
def test_key_values(raw: str, expected: str) -> None:
    assert normalize_key(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "0" * 17, "XYZ123", "12 34 56"])
def test_key_rejects(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_key(raw)
