"""Finds every handler module, registers what they declare on the PTB Application, and
puts the rules of the contract around each call: who may use it where, usage on bad
arguments, a short apology (never a crash) when a handler fails."""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Awaitable, Callable, Coroutine
from types import ModuleType
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    MessageEntity,
    Update,
)
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tradebot import metrics
from tradebot.db import transaction
from tradebot.engine.context import EngineContext
from tradebot.errors import DomainError
from tradebot.telegram.context import ButtonContext, ChatContext, CommandContext
from tradebot.telegram.registry import ButtonSpec, CommandSpec, Registry, UsageError, parse_data
from tradebot.telegram_links.repository import active_user_for_chat

log = logging.getLogger(__name__)
PtbCallback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]
HANDLERS_PACKAGE = "tradebot.telegram.handlers"

APOLOGY = "Sorry, something went wrong on our side. Please try again in a moment."
PRIVATE_ONLY = "/{name} works in a private chat with me only: accounts stay out of groups."
NOT_LINKED = (
    "This chat is not linked to an account yet. In the dashboard, open Settings → Telegram "
    "for a one-time code, then send /link CODE here."
)
UNKNOWN = "I don't know /{name}. Send /help for the list of commands."


def handler_modules(package: str = HANDLERS_PACKAGE) -> list[ModuleType]:
    """Every module of `package`, imported, in name order (adding a command = adding a file)."""
    root = importlib.import_module(package)
    return [
        importlib.import_module(f"{package}.{info.name}")
        for info in sorted(pkgutil.iter_modules(root.__path__), key=lambda i: i.name)
    ]


def load_registry(package: str = HANDLERS_PACKAGE) -> Registry:
    return Registry.collect(handler_modules(package))


class Dispatcher:
    """Runs handlers for one Application under the contract's rules."""

    def __init__(self, registry: Registry, resources: EngineContext) -> None:
        self.registry = registry
        self.resources = resources

    def register(self, application: Application) -> None:  # type: ignore[type-arg]
        """Add a PTB handler for every command and button, then the unknown-command hint."""
        for spec in self.registry.commands:
            application.add_handler(
                CommandHandler(
                    list(spec.names), self._command_callback(spec), filters.UpdateType.MESSAGE
                )
            )
        for button in self.registry.buttons:
            pattern = rf"^{button.action}(:|$)"
            application.add_handler(CallbackQueryHandler(self._button_callback(button), pattern))
        application.add_handler(
            MessageHandler(filters.COMMAND & filters.UpdateType.MESSAGE, self._unknown)
        )
        application.add_error_handler(self._on_error)

    async def _linked_user(self, chat_id: int, chat_type: str) -> int | None:
        """The account linked to a private chat; a group chat never has one."""
        if chat_type != ChatType.PRIVATE:
            return None
        async with transaction(self.resources.sessions) as session:
            return await active_user_for_chat(session, chat_id)

    def _command_callback(self, spec: CommandSpec) -> PtbCallback:
        async def callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            chat, sender = update.effective_chat, update.effective_user
            if chat is None:
                return
            c = CommandContext(
                bot=context.bot,
                resources=self.resources,
                registry=self.registry,
                chat_id=chat.id,
                chat_type=chat.type,
                user_id=None,
                from_id=sender.id if sender else None,
                username=sender.username if sender else None,
                spec=spec,
                args=list(context.args or []),
            )
            outcome = await self._guarded(c, f"/{spec.name}", lambda: self._run_command(spec, c))
            metrics.TELEGRAM_COMMANDS.labels(spec.name, outcome).inc()

        return callback

    async def _run_command(self, spec: CommandSpec, c: CommandContext) -> str:
        """Run the handler; the outcome: ok, usage (bad arguments) or not_allowed."""
        if not await self._admit(c, spec.name, account=spec.account, private=spec.private_only):
            return "not_allowed"
        if not spec.accepts(len(c.args)):
            await c.usage()
            return "usage"
        try:
            await spec.handler(c)
        except UsageError as exc:
            await c.usage(str(exc) or None)
            return "usage"
        return "ok"

    def _button_callback(self, spec: ButtonSpec) -> PtbCallback:
        async def callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            query = update.callback_query
            if query is None or query.data is None or query.message is None:
                return
            action, args = parse_data(query.data)
            c = ButtonContext(
                bot=context.bot,
                resources=self.resources,
                registry=self.registry,
                chat_id=query.message.chat.id,
                chat_type=query.message.chat.type,
                user_id=None,
                from_id=query.from_user.id,
                username=query.from_user.username,
                action=action,
                args=args,
                message_id=query.message.message_id,
                query_id=query.id,
            )
            await self._guarded(c, f"button {action}", lambda: self._run_button(spec, c))
            if not c.answered:
                await c.answer()

        return callback

    async def _run_button(self, spec: ButtonSpec, c: ButtonContext) -> str:
        if not await self._admit(c, spec.action, account=spec.account, private=False):
            return "not_allowed"
        await spec.handler(c)
        return "ok"

    async def _admit(self, c: ChatContext, name: str, *, account: bool, private: bool) -> bool:
        """Resolve the chat's account; refuse (with a reply saying why) what it may not use."""
        if (account or private) and not c.is_private:
            await c.reply(PRIVATE_ONLY.format(name=name))
            return False
        c.user_id = await self._linked_user(c.chat_id, c.chat_type)
        if account and c.user_id is None:
            await c.reply(NOT_LINKED)
            return False
        return True

    async def _guarded(self, c: ChatContext, what: str, run: Callable[[], Awaitable[str]]) -> str:
        """Run a handler: a domain error becomes its sentence, anything else an apology;
        the outcome (the handler's, `refused` or `failed`)."""
        try:
            return await run()
        except DomainError as exc:
            await c.reply(exc.detail[:1].upper() + exc.detail[1:])
            return "refused"
        except Exception:
            # Neither the message nor its arguments are logged: a link code is a credential.
            log.exception("telegram %s failed in chat %s", what, c.chat_id)
            try:
                await c.reply(APOLOGY)
            except Exception:
                log.warning("telegram: could not send the apology to chat %s", c.chat_id)
            return "failed"

    async def _unknown(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Hint at /help for a command nobody declared, unless it was meant for another bot.

        In a group only commands addressed to this bot get the hint: a group may have
        several bots, and each sees the others' commands.
        """
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None or not message.entities:
            return
        entity = message.entities[0]
        if entity.type != MessageEntity.BOT_COMMAND or entity.offset != 0:
            return
        name, _, mention = message.parse_entity(entity)[1:].partition("@")
        addressed = mention.lower() == (context.bot.username or "").lower()
        if chat.type != ChatType.PRIVATE and not addressed:
            return
        if mention and not addressed:
            return
        await context.bot.send_message(chat.id, UNKNOWN.format(name=name))

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Errors outside a handler (polling, a reply that failed): logged, nothing more."""
        log.error("telegram: %s", type(context.error).__name__, exc_info=context.error)


def bot_commands(registry: Registry, *, group: bool) -> list[BotCommand]:
    """Telegram's command menu for private or group chats, from the specs."""
    return [
        BotCommand(spec.name, spec.description)
        for _, specs in registry.sections(group=group)
        for spec in specs
    ]


async def publish_commands(application: Application, registry: Registry) -> None:  # type: ignore[type-arg]
    """Set the command menus: every command in private chats, the group-safe ones in groups."""
    await application.bot.set_my_commands(
        bot_commands(registry, group=False), scope=BotCommandScopeAllPrivateChats()
    )
    await application.bot.set_my_commands(
        bot_commands(registry, group=True), scope=BotCommandScopeAllGroupChats()
    )


def render_help(registry: Registry, *, group: bool) -> str:
    """`/help`: every command a chat of this kind may use, by section, with its usage."""
    lines: list[str] = []
    for section, specs in registry.sections(group=group):
        lines.append(f"{section}:")
        for spec in specs:
            aliases = f" (also /{', /'.join(spec.aliases)})" if spec.aliases else ""
            lock = " [linked account]" if spec.account else ""
            lines.append(f"{spec.usage} — {spec.description}{aliases}{lock}")
        lines.append("")
    if group:
        lines.append("Account and trading commands work in a private chat with me.")
    return "\n".join(lines).strip()


def command_table(registry: Registry) -> str:
    """The commands as a Markdown table, by `/help` section (the README's list)."""
    rows = ["| command | what it does | where |", "|---|---|---|"]
    for section, specs in registry.sections(group=False):
        for spec in specs:
            if spec.account:
                where = "linked private chat"
            else:
                where = "private chat" if spec.private_only else "any chat, groups too"
            also = ", ".join(f"/{a}" for a in spec.aliases)
            usage = spec.usage.replace("|", "\\|")
            what = spec.description + (f" (also {also})" if also else "")
            rows.append(f"| `{usage}` | {section}: {what} | {where} |")
    return "\n".join(rows)
