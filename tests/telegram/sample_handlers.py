"""Handlers that exercise each rule of the contract (loaded by tests, not by the bot)."""

from __future__ import annotations

from tests.telegram.conftest import TOKEN
from tradebot.errors import NotFound
from tradebot.telegram.context import ButtonContext, CommandContext
from tradebot.telegram.registry import MARKET, TRADING, Button, UsageError, button, command


@command(
    "echo",
    description="Say it back",
    usage="/echo WORD [WORD]",
    section=MARKET,
    aliases=("say",),
    min_args=1,
    max_args=2,
)
async def echo(c: CommandContext) -> None:
    await c.reply(" ".join(c.args))


@command("number", description="Check a number", usage="/number N", min_args=1, max_args=1)
async def number(c: CommandContext) -> None:
    if not c.args[0].isdigit():
        raise UsageError("N must be a whole number.")
    await c.reply(f"got {int(c.args[0])}")


@command("whoami", description="The linked account", section=TRADING, account=True)
async def whoami(c: CommandContext) -> None:
    await c.reply(f"user {c.owner}")


@command("secretive", description="Private chats only", private_only=True)
async def secretive(c: CommandContext) -> None:
    await c.reply(f"private, user {c.user_id}")


@command("boom", description="Fails")
async def boom(c: CommandContext) -> None:
    raise RuntimeError(f"failed calling https://api.telegram.org/bot{TOKEN}/sendMessage")


@command("missing", description="A domain error")
async def missing(c: CommandContext) -> None:
    raise NotFound("bot not found")


@command("ask", description="Asks for a confirmation")
async def ask(c: CommandContext) -> None:
    await c.reply(
        "Sure?",
        buttons=[[Button("Yes", "sample", ("yes", "7")), Button("No", "sample", ("no",))]],
    )


@button("sample")
async def sample(c: ButtonContext) -> None:
    await c.edit(f"answered {' '.join(c.args)}")


@button("sample_account", account=True)
async def sample_account(c: ButtonContext) -> None:
    await c.edit(f"account {c.owner}")


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@command("picture", description="Sends an image")
async def picture(c: CommandContext) -> None:
    await c.reply_photo(PNG, caption="a chart")
