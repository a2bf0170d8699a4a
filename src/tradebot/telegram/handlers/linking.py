"""/start, /link and /unlink: a private chat becomes an account's, and stops being one."""

from __future__ import annotations

from tradebot.telegram.context import CommandContext
from tradebot.telegram.registry import command
from tradebot.telegram_links import service

WELCOME = (
    "Welcome to tradebot!\n"
    "To reach your bots from here, open Settings → Telegram in the dashboard and tap the "
    "link there, or send /link CODE with the code it shows.\n"
    "Market commands work without linking: /help lists everything."
)
WELCOME_BACK = "Welcome back: this chat is linked to your account. /help lists the commands."
WELCOME_GROUP = "Hello! In groups I answer market commands; /help lists them."
LINKED = (
    "Linked: this chat now reaches your tradebot account and gets its notifications "
    "(/settings chooses which). /unlink undoes it."
)
UNLINKED = (
    "Unlinked: this chat no longer reaches your account or gets its notifications. "
    "Link again any time with a new code from the dashboard."
)


async def _link(c: CommandContext, code: str) -> None:
    async with c.session() as session:
        await service.link(session, code, c.chat_id, c.username)
    await c.reply(LINKED)


@command(
    "start",
    description="Welcome; with a code from the dashboard, link this chat",
    usage="/start [CODE]",
    max_args=1,
)
async def start(c: CommandContext) -> None:
    if c.args and not c.is_private:
        await c.reply("Link in a private chat with me: accounts stay out of groups.")
    elif c.args:
        await _link(c, c.args[0])
    elif not c.is_private:
        await c.reply(WELCOME_GROUP)
    else:
        await c.reply(WELCOME_BACK if c.user_id is not None else WELCOME)


@command(
    "link",
    description="Link this chat to your account with a one-time code",
    usage="/link CODE",
    private_only=True,
    min_args=1,
    max_args=1,
)
async def link(c: CommandContext) -> None:
    await _link(c, c.args[0])


@command("unlink", description="Unlink this chat from your account", account=True)
async def unlink(c: CommandContext) -> None:
    async with c.session() as session:
        await service.unlink(session, c.owner)
    await c.reply(UNLINKED)
