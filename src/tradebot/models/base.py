"""Declarative base with a naming convention so constraints get stable names."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from sqlalchemy import DateTime, MetaData, Numeric, func
from sqlalchemy.orm import DeclarativeBase, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Prices and quantities: 38 digits with 18 after the point covers satoshi-level quantities
# of the largest supplies and quote amounts into the trillions.
Money = Annotated[Decimal, mapped_column(Numeric(38, 18))]
MoneyOpt = Annotated[Decimal | None, mapped_column(Numeric(38, 18), nullable=True)]
# Percentages such as 2.5 (%): four decimal places.
Percent = Annotated[Decimal, mapped_column(Numeric(9, 4))]
PercentOpt = Annotated[Decimal | None, mapped_column(Numeric(9, 4), nullable=True)]
CreatedAt = Annotated[
    datetime, mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
]
UpdatedAt = Annotated[
    datetime,
    mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    ),
]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # Fetch server-side defaults (timestamps) with RETURNING, so async code never lazy-loads.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012
