"""/price SYMBOL: the last price, from the shared cache or live when it is stale."""

from __future__ import annotations

from tradebot.telegram.context import CommandContext
from tradebot.telegram.handlers._market import market
from tradebot.telegram.registry import MARKET, command


@command(
    "price",
    description="Last price of a symbol (BTC/USDT, BTCUSDT or just BTC)",
    usage="/price SYMBOL",
    section=MARKET,
    min_args=1,
    max_args=1,
)
async def price(c: CommandContext) -> None:
    async with market(c) as m:
        await c.reply(await m.price_reply(c.args[0]))
