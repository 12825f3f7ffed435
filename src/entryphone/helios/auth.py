"""HTTP authentication against a 2N device: RFC 2617/7616 Digest and RFC 7617 Basic.

2N sets the scheme per *service* (System, Switch, Camera, ...), so one device can ask for Digest on
/api/switch and Basic on /api/camera. `DeviceAuth` therefore remembers the scheme per service;
Digest itself (nonce, `nc`, stale-nonce renewal) is aiohttp's DigestAuthMiddleware. Credentials the
device has not asked for are never sent: the first request to a service goes out without an
Authorization header, and Basic is sent only to a service whose challenge asked for it.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from enum import StrEnum

import aiohttp

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


class DeviceAuth:
    """Authentication state of one device: the scheme each service asked for, and the device's
    Digest state, kept by aiohttp's DigestAuthMiddleware (one per device: the device issues one
    nonce for all its services).

    What aiohttp's middleware cannot do alone, and this class decides: 2N sets the scheme per
    service, and a Basic service answers a Digest header with error 8 (HTTP 200), not with a
    challenge, so the middleware (which, once it holds a challenge, signs every request to the
    origin) is only given requests of services that asked for Digest, or of unknown services
    while it holds no challenge (it then sends nothing unasked). Basic goes out only to a service
    whose challenge asked for it.
    """

    def __init__(self, credentials: Credentials | None) -> None:
        self._credentials = credentials
        self._schemes: dict[str, Scheme] = {}
        self._digest = (
            None
            if credentials is None
            else aiohttp.DigestAuthMiddleware(credentials.username, credentials.password, preemptive=True)
        )
        self._digest_challenged = False  # the middleware may hold a challenge: it signs unasked

    def __repr__(self) -> str:
        user = self._credentials.username if self._credentials else None
        return f"DeviceAuth(username={user!r}, services={dict(self._schemes)!r})"

    def prepare(self, service: str) -> tuple[str | None, tuple[aiohttp.DigestAuthMiddleware, ...]]:
        """The Authorization header to send (Basic) or the middleware to send through (Digest)."""
        if self._credentials is None or self._digest is None:
            return None, ()
        scheme = self._schemes.get(service)
        if scheme is Scheme.BASIC:
            token = f"{self._credentials.username}:{self._credentials.password}".encode()
            return "Basic " + base64.b64encode(token).decode(), ()
        if scheme is Scheme.DIGEST or not self._digest_challenged:
            return None, (self._digest,)
        return None, ()

    def on_reply(self, service: str, sent: str | None) -> None:
        """Note what a request carried once it went out (`sent`: its Authorization header)."""
        if sent is not None and sent.lower().startswith("digest "):
            self._schemes[service] = Scheme.DIGEST
            self._digest_challenged = True

    def on_unauthorized(self, service: str, sent: str | None, challenges: list[Challenge]) -> None:
        """Learn from a 401: returns if a retry makes sense, raises HeliosAuthError if not."""
        if self._credentials is None:
            raise HeliosAuthError("the device requires authentication and no credentials are configured")
        sent_scheme = (sent or "").partition(" ")[0].lower()
        if sent_scheme == Scheme.DIGEST:
            # The middleware already answered the fresh (or stale=true) challenge once.
            raise HeliosAuthError("the device rejected the credentials (Digest)")
        if sent_scheme == Scheme.BASIC:
            raise HeliosAuthError("the device rejected the credentials (Basic)")
        schemes = [challenge.scheme for challenge in challenges]
        if Scheme.DIGEST in schemes:
            self._schemes[service] = Scheme.DIGEST
        elif Scheme.BASIC in schemes:
            self._schemes[service] = Scheme.BASIC
        else:
            raise HeliosAuthError("the device answered 401 without a Digest or Basic challenge")
