"""Bearer tokens: random, shown once, stored only as SHA-256."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "ep_"  # noqa: S105 - a label, not a secret


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # A plain digest is enough: the token has 256 bits of entropy, so there is nothing to brute force.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
