"""Device and SIP secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) under a key from SECRET_KEY."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


class SecretBoxError(Exception):
    """A stored secret cannot be decrypted (wrong SECRET_KEY or corrupted value)."""


class SecretBox:
    def __init__(self, secret_key: str) -> None:
        derived = hashlib.sha256(("entryphone-secretbox:" + secret_key).encode("utf-8")).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError) as exc:
            raise SecretBoxError(
                "cannot decrypt a stored secret: is ENTRYPHONE_SECRET_KEY the key it was written with?"
            ) from exc

    def __repr__(self) -> str:
        return "SecretBox(<key hidden>)"
