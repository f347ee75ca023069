"""Secrets at rest: passwords are stored as Fernet tokens, keyed by FIELD_ENCRYPTION_KEY.

``digest`` gives a keyed fingerprint of a secret so two values can be compared (restart tracking:
"changed back to what the server runs with") without keeping either in clear.
"""

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

MASK = "••••••"


def _fernet() -> Fernet:
    return Fernet(settings.FIELD_ENCRYPTION_KEY.encode())


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """The clear value. An undecryptable token (key rotated without re-encrypting) gives ''."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        return ""


def seal(data: bytes) -> str:
    """Bytes kept for a while (a previewed file that may hold passwords) as a Fernet token."""
    return _fernet().encrypt(data).decode("ascii")


def unseal(token: str) -> bytes | None:
    """The bytes of ``seal``; None when the token is not ours (key rotated, tampered with)."""
    try:
        return _fernet().decrypt(token.encode("ascii"))
    except (InvalidToken, ValueError):
        return None


def digest(value: str) -> str:
    key = settings.FIELD_ENCRYPTION_KEY.encode()
    return "hmac-sha256:" + hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
