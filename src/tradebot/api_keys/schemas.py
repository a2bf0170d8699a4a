from __future__ import annotations

from datetime import datetime

from pydantic import Field, SecretStr, field_validator

from tradebot.schemas import OutSchema, Schema


class ApiKeyIn(Schema):
    label: str | None = Field(None, max_length=100)
    api_key: SecretStr = Field(min_length=8, max_length=256)
    secret_key: SecretStr = Field(min_length=8, max_length=256)

    @field_validator("api_key", "secret_key")
    @classmethod
    def _no_whitespace(cls, v: SecretStr) -> SecretStr:
        raw = v.get_secret_value()
        if raw != raw.strip() or any(c.isspace() for c in raw):
            raise ValueError("must not contain whitespace")
        return v


class ApiKeyValidation(OutSchema):
    key: ApiKeyOut
    valid: bool
    balances: dict[str, str]


class ApiKeyOut(OutSchema):
    id: int
    label: str | None
    api_key_masked: str
    is_valid: bool
    created_at: datetime
    updated_at: datetime


ApiKeyValidation.model_rebuild()
