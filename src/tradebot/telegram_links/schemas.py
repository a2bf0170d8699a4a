from __future__ import annotations

from datetime import datetime

from tradebot.schemas import OutSchema, Schema


class LinkCodeOut(OutSchema):
    """A one-time code: `/link CODE` (or `/start CODE`) in a private chat with the bot."""

    code: str
    expires_at: datetime
    # `https://t.me/<bot>?start=CODE`: opening it links in one tap. None while the bot's
    # username is unknown (no token set, or Telegram unreachable).
    deep_link: str | None


class NotificationSwitches(OutSchema):
    """Which notifications reach the linked chat."""

    trade: bool
    stopped: bool
    error: bool
    alarm: bool


class NotificationSwitchesIn(Schema):
    """The switches to change; those left out stay as they are."""

    trade: bool | None = None
    stopped: bool | None = None
    error: bool | None = None
    alarm: bool | None = None


class LinkedChatOut(OutSchema):
    chat_id: int
    username: str | None
    linked_at: datetime
    notifications: NotificationSwitches


class TelegramOut(OutSchema):
    """The caller's Telegram link, if any, and the bot to talk to."""

    bot_username: str | None
    link: LinkedChatOut | None
