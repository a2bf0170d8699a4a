"""/help: generated from the handlers' own declarations."""

from __future__ import annotations

from tradebot.telegram.context import CommandContext
from tradebot.telegram.loader import render_help
from tradebot.telegram.registry import UsageError, command


@command(
    "help",
    description="List the commands, or explain one",
    usage="/help [COMMAND]",
    max_args=1,
)
async def help_(c: CommandContext) -> None:
    if not c.args:
        await c.reply(render_help(c.registry, group=not c.is_private))
        return
    spec = c.registry.find(c.args[0])
    if spec is None:
        raise UsageError(f"There is no /{c.args[0].lstrip('/')}.")
    where = " Needs a linked account, in a private chat." if spec.account else ""
    await c.reply(f"{spec.usage}\n{spec.description}.{where}")
