from __future__ import annotations

from datetime import datetime
from typing import Literal

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


KeyStatus = Literal["unchecked", "valid", "refused"]


class ApiKeyOut(OutSchema):
    id: int
    label: str | None
    api_key_masked: str
    is_valid: bool = Field(description="the last check accepted the key (`status` is valid)")
    status: KeyStatus = Field(
        description="the last check's outcome: valid (the exchange accepted the key), refused "
        "(it did not: see `refused_reason`), unchecked (never validated)"
    )
    refused_reason: str | None = Field(
        description="why the exchange refused the key at the last check; null unless refused"
    )
    created_at: datetime
    updated_at: datetime


ApiKeyValidation.model_rebuild()
