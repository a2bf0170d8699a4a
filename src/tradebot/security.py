"""Password hashing (Argon2id), access tokens (JWT), and secret encryption (MultiFernet)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import AwareDatetime, BaseModel, Field, ValidationError

from tradebot.config import Settings
from tradebot.schemas import DbId

_hasher = PasswordHasher()
# Verified against when the email is unknown, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash("not-a-password-of-anyone")
JWT_ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(hashed: str | None, password: str) -> bool:
    """Constant-ish time whether or not the user exists."""
    try:
        return _hasher.verify(hashed or _DUMMY_HASH, password) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(hashed: str) -> bool:
    return _hasher.check_needs_rehash(hashed)


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    jti: str
    expires_at: datetime


def issue_token(settings: Settings, user_id: int) -> tuple[str, TokenClaims]:
    """A signed access token for `user_id`, with a unique id so logout can revoke it."""
    assert settings.jwt_secret is not None
    now = datetime.now(UTC)
    claims = TokenClaims(
        user_id, uuid.uuid4().hex, now + timedelta(minutes=settings.jwt_ttl_minutes)
    )
    token = jwt.encode(
        {"sub": str(user_id), "jti": claims.jti, "iat": now, "exp": claims.expires_at},
        settings.jwt_secret.get_secret_value(),
        algorithm=JWT_ALGORITHM,
    )
    return token, claims


def decode_token(settings: Settings, token: str) -> TokenClaims | None:
    """The token's claims, or None when it is malformed, forged or expired."""
    assert settings.jwt_secret is not None
    try:
        data = jwt.decode(
            token,
            settings.jwt_secret.get_secret_value(),
            algorithms=[JWT_ALGORITHM],
            options={"require": ["sub", "jti", "exp"]},
        )
        claims = _Claims.model_validate(data)
    except (jwt.PyJWTError, ValidationError):
        return None
    return TokenClaims(claims.sub, claims.jti, claims.exp)


class _Claims(BaseModel):
    """What a token must carry to be ours: a signature alone does not make `sub` a user id
    the database can look up, nor `jti` a value a Redis key can hold."""

    sub: DbId  # a user id
    jti: Annotated[str, Field(pattern=r"^[0-9A-Za-z_-]{1,64}$")]
    exp: AwareDatetime


class SecretBox:
    """Encrypts exchange secrets at rest. The first key encrypts; every key decrypts."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("no encryption key configured")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        return cls(settings.fernet_keys)

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            # No key in use matches: say so without any of the ciphertext.
            raise ValueError("stored secret cannot be decrypted with the configured keys") from None

    def rotate(self, token: str) -> str:
        """Re-encrypt under the first key."""
        return self._fernet.rotate(token.encode()).decode()
