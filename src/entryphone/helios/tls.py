"""TLS policy for one device: normal verification, a pinned certificate, or explicitly unverified.

2N panels ship a self-signed certificate. Accepting it silently would let anyone on the path read
the API password, so the default verifies like a browser; the operator either pins the
certificate's SHA-256 fingerprint (what `openssl x509 -fingerprint -sha256` prints) or opts out.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

import aiohttp


@dataclass(frozen=True, slots=True)
class TlsPolicy:
    fingerprint_sha256: str | None = None
    allow_self_signed: bool = False
    context: ssl.SSLContext | None = None
    """A custom context, e.g. trusting the operator's own CA. Used when nothing is pinned."""

    def __post_init__(self) -> None:
        if self.fingerprint_sha256 is not None:
            normalised = normalise_fingerprint(self.fingerprint_sha256)
            object.__setattr__(self, "fingerprint_sha256", normalised)

    def aiohttp_ssl(self) -> aiohttp.Fingerprint | ssl.SSLContext | bool:
        """The value for aiohttp's per-request `ssl=` argument."""
        if self.fingerprint_sha256 is not None:
            # aiohttp skips chain validation and compares the leaf certificate's digest instead.
            return aiohttp.Fingerprint(bytes.fromhex(self.fingerprint_sha256))
        if self.allow_self_signed:
            return False
        return self.context if self.context is not None else True


def normalise_fingerprint(value: str) -> str:
    """'AB:CD:...' or 'abcd...' -> lower-case hex; raises ValueError unless it is 32 bytes."""
    text = value.replace(":", "").replace(" ", "").lower()
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise ValueError("TLS fingerprint must be hexadecimal") from None
    if len(raw) != 32:
        raise ValueError("TLS fingerprint must be a SHA-256 digest (32 bytes)")
    return text
