"""/oi SYMBOL: open interest of the symbol's perpetual contract."""

from __future__ import annotations

from tradebot.telegram.context import CommandContext
from tradebot.telegram.handlers._market import market
from tradebot.telegram.registry import MARKET, command


@command(
    "oi",
    description="Open interest of the symbol's perpetual",
    usage="/oi SYMBOL",
    section=MARKET,
    min_args=1,
    max_args=1,
)
async def oi(c: CommandContext) -> None:
    async with market(c) as m:
        await c.reply(await m.oi_reply(c.args[0]))
