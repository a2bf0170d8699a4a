"""/funding SYMBOL: the funding rate of the symbol's perpetual contract."""

from __future__ import annotations

from tradebot.telegram.context import CommandContext
from tradebot.telegram.handlers._market import market
from tradebot.telegram.registry import MARKET, command


@command(
    "funding",
    description="Funding rate of the symbol's perpetual",
    usage="/funding SYMBOL",
    section=MARKET,
    min_args=1,
    max_args=1,
)
async def funding(c: CommandContext) -> None:
    async with market(c) as m:
        await c.reply(await m.funding_reply(c.args[0]))
