"""/chart SYMBOL [TIMEFRAME]: a candle chart with both EMAs and RSI, as a picture."""

from __future__ import annotations

from tradebot.telegram.context import CommandContext
from tradebot.telegram.handlers._market import arg, market
from tradebot.telegram.registry import MARKET, command


@command(
    "chart",
    description="Candle chart with both EMAs and RSI (timeframe 1h unless given)",
    usage="/chart SYMBOL [TIMEFRAME]",
    section=MARKET,
    min_args=1,
    max_args=2,
)
async def chart(c: CommandContext) -> None:
    async with market(c) as m:
        picture = await m.chart_png(c.args[0], arg(c, 1))
        await c.reply_photo(picture.png, caption=picture.caption)
