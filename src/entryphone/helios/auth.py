"""HTTP authentication against a 2N device: RFC 2617/7616 Digest and RFC 7617 Basic.

2N sets the scheme per *service* (System, Switch, Camera, ...), so one device can ask for Digest on
/api/switch and Basic on /api/camera. `DeviceAuth` therefore remembers the scheme per service and
the Digest nonce per device (the device issues one nonce for all services), counts `nc` per nonce,
and never sends credentials the device has not asked for: the first request to a service goes out
without an Authorization header, and Basic is sent only to a service whose challenge asked for it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from dataclasses import dataclass, field
from enum import StrEnum

from entryphone.helios.errors import HeliosAuthError


@dataclass(frozen=True, slots=True)
class Credentials:
    """An API account of the device. The password never appears in repr()."""

    username: str
    password: str = field(repr=False)


class Scheme(StrEnum):
    DIGEST = "digest"
    BASIC = "basic"


@dataclass(frozen=True, slots=True)
class Challenge:
    scheme: Scheme
    params: dict[str, str]


# One auth-param: token=token or token="quoted string" (with backslash escapes).
_PARAM = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*)\s*(?:,|$)')
_SCHEME_START = re.compile(r"(?:^|,)\s*(Digest|Basic)\s+", re.IGNORECASE)


def parse_challenges(headers: list[str]) -> list[Challenge]:
    """Parse WWW-Authenticate header values; schemes other than Digest/Basic are skipped."""
    found: list[Challenge] = []
    for header in headers:
        starts = list(_SCHEME_START.finditer(header))
        for index, match in enumerate(starts):
            end = starts[index + 1].start() if index + 1 < len(starts) else len(header)
            params: dict[str, str] = {}
            for name, value in _PARAM.findall(header[match.end() : end]):
                if value.startswith('"'):
                    value = re.sub(r"\\(.)", r"\1", value[1:-1])
                params[name.lower()] = value
            found.append(Challenge(Scheme(match.group(1).lower()), params))
    return found


_HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class DigestSession:
    """One Digest nonce of a device and the request counter that goes with it."""

    def __init__(self, challenge: Challenge) -> None:
        params = challenge.params
        self.realm = params.get("realm", "")
        self.nonce = params.get("nonce", "")
        self.opaque = params.get("opaque")
        self.algorithm = params.get("algorithm", "MD5")
        qops = [qop.strip() for qop in params.get("qop", "").split(",") if qop.strip()]
        if qops and "auth" not in qops:
            raise HeliosAuthError(f"device offers Digest qop={params.get('qop')!r}; only 'auth' is supported")
        self.qop = "auth" if qops else None
        base = self.algorithm.upper().removesuffix("-SESS")
        if base not in _HASHES or not self.nonce:
            raise HeliosAuthError(f"unsupported Digest challenge (algorithm {self.algorithm!r})")
        self._hash = _HASHES[base]
        self._sess = self.algorithm.upper().endswith("-SESS")
        self.nc = 0

    def _h(self, text: str) -> str:
        return self._hash(text.encode()).hexdigest()

    def authorization(self, credentials: Credentials, method: str, uri: str) -> str:
        self.nc += 1
        nc = f"{self.nc:08x}"
        cnonce = os.urandom(8).hex()
        ha1 = self._h(f"{credentials.username}:{self.realm}:{credentials.password}")
        if self._sess:
            ha1 = self._h(f"{ha1}:{self.nonce}:{cnonce}")
        ha2 = self._h(f"{method}:{uri}")
        if self.qop:
            response = self._h(f"{ha1}:{self.nonce}:{nc}:{cnonce}:{self.qop}:{ha2}")
        else:
            response = self._h(f"{ha1}:{self.nonce}:{ha2}")
        parts = [
            f"username={_quote(credentials.username)}",
            f"realm={_quote(self.realm)}",
            f"nonce={_quote(self.nonce)}",
            f"uri={_quote(uri)}",
            f"algorithm={self.algorithm}",
            f"response={_quote(response)}",
        ]
        if self.qop:
            parts += [f"qop={self.qop}", f"nc={nc}", f"cnonce={_quote(cnonce)}"]
        if self.opaque is not None:
            parts.append(f"opaque={_quote(self.opaque)}")
        return "Digest " + ", ".join(parts)


@dataclass(frozen=True, slots=True)
class SentAuth:
    """What went out with one request, so a 401 can be judged (stale nonce vs. wrong password)."""

    scheme: Scheme | None
    nonce: str | None = None


class DeviceAuth:
    """Authentication state of one device: scheme per service, the current Digest nonce."""

    def __init__(self, credentials: Credentials | None) -> None:
        self._credentials = credentials
        self._schemes: dict[str, Scheme] = {}
        self._digest: DigestSession | None = None

    def __repr__(self) -> str:
        user = self._credentials.username if self._credentials else None
        return f"DeviceAuth(username={user!r}, services={dict(self._schemes)!r})"

    def header(self, service: str, method: str, uri: str) -> tuple[str | None, SentAuth]:
        """The Authorization header for a request (or None) and a note of what was sent."""
        if self._credentials is None:
            return None, SentAuth(None)
        scheme = self._schemes.get(service)
        if scheme is Scheme.BASIC:
            token = f"{self._credentials.username}:{self._credentials.password}".encode()
            return "Basic " + base64.b64encode(token).decode(), SentAuth(Scheme.BASIC)
        # Digest goes out only to services that asked for it: a 2N service set to Basic answers
        # a Digest header with error 8 rather than a challenge. The nonce itself is per device.
        if self._digest is not None and scheme is Scheme.DIGEST:
            return (
                self._digest.authorization(self._credentials, method, uri),
                SentAuth(Scheme.DIGEST, self._digest.nonce),
            )
        return None, SentAuth(None)

    def on_unauthorized(self, service: str, sent: SentAuth, challenges: list[Challenge]) -> None:
        """Learn from a 401. Returns if a retry makes sense, raises HeliosAuthError if not."""
        if self._credentials is None:
            raise HeliosAuthError("the device requires authentication and no credentials are configured")
        digest = next((c for c in challenges if c.scheme is Scheme.DIGEST), None)
        basic = next((c for c in challenges if c.scheme is Scheme.BASIC), None)
        if digest is not None:
            stale = digest.params.get("stale", "").lower() == "true"
            if sent.scheme is Scheme.DIGEST and sent.nonce == digest.params.get("nonce"):
                raise HeliosAuthError("the device rejected the credentials (Digest)")
            if (
                sent.scheme is Scheme.DIGEST
                and not stale
                and self._digest
                and sent.nonce == self._digest.nonce
            ):
                # Our nonce was current and the device did not call it stale: the password is wrong.
                raise HeliosAuthError("the device rejected the credentials (Digest)")
            self._digest = DigestSession(digest)
            self._schemes[service] = Scheme.DIGEST
            return
        if basic is not None:
            if sent.scheme is Scheme.BASIC:
                raise HeliosAuthError("the device rejected the credentials (Basic)")
            self._schemes[service] = Scheme.BASIC
            return
        raise HeliosAuthError("the device answered 401 without a Digest or Basic challenge")
