"""Shared schema pieces: database-sized integers, safe strings, Decimal fields and their JSON
form."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from annotated_types import Ge, Le
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, SecretStr, field_validator

# PostgreSQL `integer` (every id and integer column here): a value outside it cannot be stored
# or looked up, and asyncpg refuses it, so the API refuses it first (422 naming the field).
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
# Plain constraints (not `Field`), so the same types serve bodies, path and query parameters.
DbInt = Annotated[int, Ge(INT32_MIN), Le(INT32_MAX)]
DbId = Annotated[int, Ge(1), Le(INT32_MAX)]


def decimal_text(value: Decimal) -> str:
    """Exact decimal text without exponent or trailing zeros: 2.5000 -> "2.5"."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


DecimalOut = Annotated[Decimal, PlainSerializer(decimal_text, return_type=str, when_used="json")]
Percent = Annotated[Decimal, Field(gt=0, le=100, max_digits=9, decimal_places=4)]
Amount = Annotated[Decimal, Field(gt=0, max_digits=38, decimal_places=18)]


def unsafe_text_reason(text: str) -> str | None:
    """Why `text` cannot be stored or encoded, or None when it can.

    PostgreSQL text cannot hold NUL, and a lone surrogate (a JSON escape like "\\ud800")
    has no UTF-8 form: either would fail deep in the database driver or the encryption.
    """
    if "\x00" in text:
        return "must not contain NUL characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text (no lone surrogates)"
    return None


class Schema(BaseModel):
    """Base for request bodies: unknown fields are an error, not silently dropped, and no
    string holds what the database or UTF-8 cannot."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: object) -> object:
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(text, str) and (reason := unsafe_text_reason(text)):
            raise ValueError(reason)
        return value


class OutSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True)
