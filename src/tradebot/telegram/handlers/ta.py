"""/ta SYMBOL [TIMEFRAME]: indicators at the last closed candle and the strategy's signal."""

from __future__ import annotations

from tradebot.telegram.context import CommandContext
from tradebot.telegram.handlers._market import arg, market
from tradebot.telegram.registry import MARKET, command


@command(
    "ta",
    description="EMAs, RSI, MACD, Bollinger, ATR, Stochastic and the bots' strategy signal "
    "(timeframe 1h unless given)",
    usage="/ta SYMBOL [TIMEFRAME]",
    section=MARKET,
    min_args=1,
    max_args=2,
)
async def ta(c: CommandContext) -> None:
    async with market(c) as m:
        await c.reply(await m.ta_reply(c.args[0], arg(c, 1)))
