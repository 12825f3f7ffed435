"""Digest answers to 401 and 407 challenges (RFC 2617 / RFC 3261 section 22): MD5, qop=auth."""

from __future__ import annotations

import hashlib
import re
import secrets

from .message import ParseError

_FIELD = re.compile(r'(\w+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]+)')


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def parse_challenge(value: str) -> dict[str, str]:
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "digest":
        raise ParseError(f"unsupported authentication scheme {scheme!r}")
    fields = {m.group(1).lower(): m.group(2).strip('"') for m in _FIELD.finditer(rest)}
    if "realm" not in fields or "nonce" not in fields:
        raise ParseError("challenge without realm or nonce")
    algorithm = fields.get("algorithm", "MD5").upper()
    if algorithm != "MD5":
        raise ParseError(f"unsupported digest algorithm {algorithm!r}")
    qops = {q.strip() for q in fields.get("qop", "").split(",") if q.strip()}
    if qops and "auth" not in qops:
        raise ParseError("the challenge offers no qop=auth")
    return fields


class Credentials:
    """One account's user name and password; the password never leaves this object."""

    __slots__ = ("_password", "username")

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self._password = password

    def authorization(
        self, challenge: dict[str, str], method: str, uri: str, nc: int, cnonce: str | None = None
    ) -> str:
        realm, nonce = challenge["realm"], challenge["nonce"]
        ha1 = _md5(f"{self.username}:{realm}:{self._password}")
        ha2 = _md5(f"{method}:{uri}")
        parts = [
            f'username="{self.username}"',
            f'realm="{realm}"',
            f'nonce="{nonce}"',
            f'uri="{uri}"',
        ]
        if "qop" in challenge:
            cnonce = cnonce or secrets.token_hex(8)
            count = f"{nc:08x}"
            response = _md5(f"{ha1}:{nonce}:{count}:{cnonce}:auth:{ha2}")
            parts += [f'response="{response}"', "qop=auth", f"nc={count}", f'cnonce="{cnonce}"']
        else:
            parts.append(f'response="{_md5(f"{ha1}:{nonce}:{ha2}")}"')
        parts.append("algorithm=MD5")
        if "opaque" in challenge:
            parts.append(f'opaque="{challenge["opaque"]}"')
        return "Digest " + ", ".join(parts)

    def __repr__(self) -> str:
        return f"Credentials({self.username!r}, ***)"
