"""Credentials: password hashing, API key pairs, session tokens.

Passwords are chosen by people, so they are hashed with argon2id. API secrets
and session tokens are 256-bit random values: for those a SHA-256 digest is
already a strong hash (nothing to brute force), and it keeps the per-request
check in microseconds instead of the ~50 ms argon2 costs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
_KEY_ALPHABET = string.ascii_uppercase + string.digits


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@dataclass(frozen=True)
class AdminPassword:
    """The first admin's password and its hash, made before the database is ready."""

    password: str
    hash: str
    generated: bool


def prepare_admin_password(given: str | None) -> AdminPassword:
    """Hash ``given``, or a new random password when None (argon2 takes a few 100 ms)."""
    password = given or new_password()
    return AdminPassword(password, hash_password(password), generated=given is None)


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def digest(secret: str) -> str:
    """SHA-256 of a high-entropy random secret (API secret, session token)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same_digest(secret: str, expected_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), expected_digest)


def new_key_pair() -> tuple[str, str]:
    """Return a new (access_key, secret)."""
    access = "CK" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(22))
    return access, secrets.token_urlsafe(32)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_password() -> str:
    return secrets.token_urlsafe(18)
