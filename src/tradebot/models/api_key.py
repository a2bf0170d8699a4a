from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tradebot.models.base import Base, CreatedAt, UpdatedAt

if TYPE_CHECKING:
    from tradebot.models.bot_config import BotConfig
    from tradebot.models.user import User


class ApiKey(Base):
    """An exchange API key pair, both halves Fernet-encrypted."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    encrypted_api_key: Mapped[str] = mapped_column(Text)
    encrypted_secret_key: Mapped[str] = mapped_column(Text)
    # The last four characters of the public API key, to tell keys apart without decrypting.
    api_key_last4: Mapped[str] = mapped_column(String(4))
    label: Mapped[str | None] = mapped_column(String(100), nullable=True)
    is_valid: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Why the exchange refused the key at its last check (scrubbed of secrets); NULL when
    # that check accepted it or it was never checked.
    refused_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    owner: Mapped[User] = relationship(back_populates="api_keys")
    bot_configs: Mapped[list[BotConfig]] = relationship(back_populates="api_key")
