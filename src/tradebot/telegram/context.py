"""What a handler receives: who wrote from which chat, its arguments, and ways to answer."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ChatType, ParseMode

from tradebot.db import transaction
from tradebot.engine.context import EngineContext
from tradebot.schemas import INT32_MAX
from tradebot.telegram.registry import Button, CommandSpec, Registry, UsageError

Keyboard = Sequence[Sequence[Button]]


def markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    """Telegram's inline keyboard for rows of `Button`s."""
    if keyboard is None:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in keyboard]
    )


@dataclass
class ChatContext:
    """The chat a handler answers, the account linked to it, and the process's resources."""

    bot: Bot
    resources: EngineContext
    registry: Registry
    chat_id: int
    chat_type: str
    # The account linked to this chat; always None in a group chat.
    user_id: int | None
    # The Telegram user who wrote or pressed the button, and their @username.
    from_id: int | None = None
    username: str | None = None

    @property
    def is_private(self) -> bool:
        return self.chat_type == ChatType.PRIVATE

    @property
    def owner(self) -> int:
        """The linked account; for `account=True` handlers, which never run without one."""
        if self.user_id is None:
            raise RuntimeError("no linked account: declare the handler with account=True")
        return self.user_id

    def session(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A unit of work: committed when the block ends, rolled back if it raises."""
        return transaction(self.resources.sessions)

    async def reply(self, text: str, *, html: bool = False, buttons: Keyboard | None = None) -> int:
        """Send `text` to the chat (HTML when `html`: escape what users wrote); the message id."""
        message = await self.bot.send_message(
            self.chat_id,
            text,
            parse_mode=ParseMode.HTML if html else None,
            reply_markup=markup(buttons),
            disable_web_page_preview=True,
        )
        return message.message_id

    async def reply_photo(self, png: bytes, caption: str | None = None) -> int:
        """Send a PNG image to the chat; the message id."""
        message = await self.bot.send_photo(self.chat_id, photo=png, caption=caption)
        return message.message_id


@dataclass
class CommandContext(ChatContext):
    """A command: `/name arg arg` as `spec` and `args`."""

    spec: CommandSpec | None = None
    args: list[str] = field(default_factory=list)

    def int_arg(self, index: int, name: str, *, low: int = 1, high: int = INT32_MAX) -> int:
        """Argument `index` as a whole number in [low, high]; a UsageError naming it if not."""
        text = self.args[index]
        if not text.isdigit() or not low <= int(text) <= high:
            upto = f"from {low} to {high}" if high < INT32_MAX else f"of {low} or more"
            raise UsageError(f"{name} must be a whole number {upto}.")
        return int(text)

    async def usage(self, problem: str | None = None) -> None:
        """Reply with the command's usage line, after `problem` when given."""
        assert self.spec is not None
        line = f"Usage: {self.spec.usage}"
        await self.reply(f"{problem}\n{line}" if problem else line)


@dataclass
class ButtonContext(ChatContext):
    """A press on an inline-keyboard button: its action's `args`, on message `message_id`."""

    action: str = ""
    args: list[str] = field(default_factory=list)
    message_id: int | None = None
    query_id: str = ""
    answered: bool = False

    async def edit(self, text: str, *, html: bool = False, buttons: Keyboard | None = None) -> None:
        """Replace the text (and keyboard) of the message that carried the button."""
        await self.bot.edit_message_text(
            text,
            chat_id=self.chat_id,
            message_id=self.message_id,
            parse_mode=ParseMode.HTML if html else None,
            reply_markup=markup(buttons),
        )

    async def answer(self, text: str | None = None) -> None:
        """Acknowledge the press (Telegram shows a spinner until it is), with a toast text."""
        self.answered = True
        await self.bot.answer_callback_query(self.query_id, text=text)
