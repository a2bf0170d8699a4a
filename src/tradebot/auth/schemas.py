from __future__ import annotations

from typing import Literal

from pydantic import EmailStr, Field, SecretStr

from tradebot.schemas import Schema

PASSWORD_MIN = 8
PASSWORD_MAX = 128


class Credentials(Schema):
    email: EmailStr = Field(max_length=320)
    password: SecretStr = Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)


class LoginIn(Schema):
    email: EmailStr = Field(max_length=320)
    # No minimum here: a short password simply does not match.
    password: SecretStr = Field(min_length=1, max_length=PASSWORD_MAX)


class RegisteredOut(Schema):
    id: int
    email: EmailStr


class TokenOut(Schema):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_in: int
