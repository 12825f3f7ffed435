"""Device and SIP secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) under a key from SECRET_KEY.

Key rotation: fallback keys (SECRET_KEY_FALLBACKS) are tried when decrypting, never used to
encrypt; `rotate` re-encrypts a value under the current key (docs/operations.md says the order)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretBoxError(Exception):
    """A stored secret cannot be decrypted (wrong SECRET_KEY or corrupted value)."""


class SecretBox:
    def __init__(self, secret_key: str, fallbacks: Sequence[str] = ()) -> None:
        self._fernet = MultiFernet([_fernet(key) for key in (secret_key, *fallbacks)])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError) as exc:
            raise SecretBoxError(
                "cannot decrypt a stored secret: is ENTRYPHONE_SECRET_KEY the key it was written with?"
            ) from exc

    def rotate(self, ciphertext: str) -> str:
        """The same secret encrypted under the current key (written with it or with a fallback)."""
        try:
            return self._fernet.rotate(ciphertext.encode("ascii")).decode("ascii")
        except (InvalidToken, ValueError) as exc:
            raise SecretBoxError(
                "cannot decrypt a stored secret with ENTRYPHONE_SECRET_KEY "
                "or any of ENTRYPHONE_SECRET_KEY_FALLBACKS"
            ) from exc

    def __repr__(self) -> str:
        return "SecretBox(<key hidden>)"


def _fernet(secret_key: str) -> Fernet:
    derived = hashlib.sha256(("entryphone-secretbox:" + secret_key).encode("utf-8")).digest()
    return Fernet(base64.urlsafe_b64encode(derived))
