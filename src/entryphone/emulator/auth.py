"""Authentication per service: None, Basic or Digest (RFC 2617/7616, MD5, qop=auth).

Digest nonces live for a configurable time; a correct answer to an expired or unknown nonce
gets a new challenge with `stale=true`, and a nonce count seen before is a replay.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from .config import Account, AuthMethod, DeviceConfig
from .envelope import failure
from .errors import AUTH_METHOD, AUTH_REQUIRED, ApiError

MAX_NONCES = 4096
_DIGEST_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


class AuthChallenge(Exception):
    """The request must be answered with 401 and this response."""

    def __init__(self, response: web.Response) -> None:
        super().__init__("authentication required")
        self.response = response


@dataclass(slots=True)
class _Nonce:
    issued: float
    counts: set[int] = field(default_factory=set)


class Authenticator:
    """One per device boot: nonces do not survive a restart."""

    def __init__(
        self, realm: str, nonce_lifetime: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.realm = realm
        self.nonce_lifetime = nonce_lifetime
        self._clock = clock
        self._opaque = secrets.token_hex(16)
        self._nonces: dict[str, _Nonce] = {}

    def authenticate(
        self, request: web.BaseRequest, method: AuthMethod, config: DeviceConfig
    ) -> Account | None:
        """The authenticated account, or None for a service without authentication."""
        if method is AuthMethod.NONE:
            return None
        header = request.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        scheme = scheme.lower()
        if not header:
            raise self._challenge(method)
        if scheme not in ("basic", "digest"):
            raise self._challenge(method)
        if scheme != method.value:
            # Manual, error 8: e.g. Basic credentials for a Digest-only service.
            raise ApiError(AUTH_METHOD)
        if method is AuthMethod.BASIC:
            return self._basic(credentials, config)
        return self._digest(request, credentials, config)

    def _basic(self, credentials: str, config: DeviceConfig) -> Account:
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise self._challenge(AuthMethod.BASIC) from None
        username, sep, password = decoded.partition(":")
        account = config.account(username)
        if not sep or account is None or not hmac.compare_digest(account.password, password):
            raise self._challenge(AuthMethod.BASIC)
        return account

    def _digest(self, request: web.BaseRequest, credentials: str, config: DeviceConfig) -> Account:
        fields = {
            m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
            for m in _DIGEST_PARAM.finditer(credentials)
        }
        needed = ("username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce")
        if any(k not in fields for k in needed) or fields["qop"] != "auth":
            raise self._challenge(AuthMethod.DIGEST)
        if fields.get("algorithm", "MD5").upper() != "MD5" or fields["realm"] != self.realm:
            raise self._challenge(AuthMethod.DIGEST)
        if "opaque" in fields and fields["opaque"] != self._opaque:
            raise self._challenge(AuthMethod.DIGEST, stale=True)
        if fields["uri"] != request.raw_path:
            raise self._challenge(AuthMethod.DIGEST)
        account = config.account(fields["username"])
        if account is None:
            raise self._challenge(AuthMethod.DIGEST)
        ha1 = _md5(f"{account.username}:{self.realm}:{account.password}")
        ha2 = _md5(f"{request.method}:{fields['uri']}")
        expected = _md5(f"{ha1}:{fields['nonce']}:{fields['nc']}:{fields['cnonce']}:auth:{ha2}")
        if not hmac.compare_digest(expected, fields["response"].lower()):
            raise self._challenge(AuthMethod.DIGEST)
        try:
            count = int(fields["nc"], 16)
        except ValueError:
            raise self._challenge(AuthMethod.DIGEST) from None
        nonce = self._nonces.get(fields["nonce"])
        if nonce is None or self._clock() - nonce.issued > self.nonce_lifetime:
            # The password was right; the client only needs a fresh nonce.
            self._nonces.pop(fields["nonce"], None)
            raise self._challenge(AuthMethod.DIGEST, stale=True)
        if count in nonce.counts:
            raise self._challenge(AuthMethod.DIGEST)  # replayed nonce count
        nonce.counts.add(count)
        return account

    def _challenge(self, method: AuthMethod, *, stale: bool = False) -> AuthChallenge:
        response = failure(ApiError(AUTH_REQUIRED), status=401)
        if method is AuthMethod.BASIC:
            response.headers["WWW-Authenticate"] = f'Basic realm="{self.realm}"'
        else:
            header = (
                f'Digest realm="{self.realm}", qop="auth", nonce="{self._issue()}", '
                f'opaque="{self._opaque}", algorithm=MD5'
            )
            if stale:
                header += ", stale=true"
            response.headers["WWW-Authenticate"] = header
        return AuthChallenge(response)

    def _issue(self) -> str:
        now = self._clock()
        if len(self._nonces) >= MAX_NONCES:
            self._expire(now)
            while len(self._nonces) >= MAX_NONCES:
                del self._nonces[next(iter(self._nonces))]
        nonce = secrets.token_hex(16)
        self._nonces[nonce] = _Nonce(issued=now)
        return nonce

    def _expire(self, now: float) -> None:
        for key in [k for k, n in self._nonces.items() if now - n.issued > self.nonce_lifetime]:
            del self._nonces[key]


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()
