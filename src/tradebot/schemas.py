"""Shared schema pieces: Decimal fields and their JSON form."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer


def decimal_text(value: Decimal) -> str:
    """Exact decimal text without exponent or trailing zeros: 2.5000 -> "2.5"."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


DecimalOut = Annotated[Decimal, PlainSerializer(decimal_text, return_type=str, when_used="json")]
Percent = Annotated[Decimal, Field(gt=0, le=100, max_digits=9, decimal_places=4)]
Amount = Annotated[Decimal, Field(gt=0, max_digits=38, decimal_places=18)]


class Schema(BaseModel):
    """Base for request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OutSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True)
