"""Secrets at rest: encrypted with a key derived from `SECRET_KEY`, masked whenever shown.

Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`; the 32-byte Fernet key is derived from
SECRET_KEY with HKDF so any string works as SECRET_KEY. A keyed fingerprint lets a service find a
duplicate secret without decrypting every stored one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MASK = "********"


class SecretError(Exception):
    """A stored secret could not be decrypted (SECRET_KEY changed, or the value was tampered with)."""


class SecretBox:
    def __init__(self, secret_key: str) -> None:
        material = HKDF(algorithm=hashes.SHA256(), length=64, salt=b"chillproxy", info=b"secrets").derive(
            secret_key.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(material[:32]))
        self._fingerprint_key = material[32:]

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SecretError("stored secret cannot be decrypted with this SECRET_KEY") from None

    def fingerprint(self, plaintext: str) -> str:
        return hmac.new(self._fingerprint_key, plaintext.encode(), hashlib.sha256).hexdigest()


def mask(secret: str | None) -> str | None:
    """What a secret looks like when shown: its last 4 characters at most, never more."""
    if not secret:
        return None
    return MASK + secret[-4:] if len(secret) >= 16 else MASK
