from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Boolean, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tradebot.models.base import Base, CreatedAt, UpdatedAt

if TYPE_CHECKING:
    from tradebot.models.api_key import ApiKey
    from tradebot.models.bot_config import BotConfig
    from tradebot.models.trade import Trade


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True, index=True)
    hashed_password: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    api_keys: Mapped[list[ApiKey]] = relationship(
        back_populates="owner", cascade="all, delete-orphan", passive_deletes=True
    )
    bot_configs: Mapped[list[BotConfig]] = relationship(
        back_populates="owner", cascade="all, delete-orphan", passive_deletes=True
    )
    trades: Mapped[list[Trade]] = relationship(back_populates="user", passive_deletes=True)
