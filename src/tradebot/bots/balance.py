"""A bot's account: the simulated one of a paper or demo bot, the exchange's for live and
testnet (with the key the engine would trade with, through the request-weight governor)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tradebot.api_keys.service import decrypt, key_for_bot
from tradebot.bots import service as bots
from tradebot.engine.context import EngineContext
from tradebot.engine.exchanges import SIMULATED_MODES
from tradebot.errors import Conflict, exchange_errors
from tradebot.exchange.errors import InvalidKey
from tradebot.models import BotConfig, SimBalance


@dataclass(frozen=True)
class Account:
    """What one bot's account holds, by asset (free plus locked in open orders)."""

    bot_id: int
    mode: str
    simulated: bool
    assets: dict[str, Decimal]


def simulated_balances(
    bot: BotConfig, rows: Iterable[SimBalance], start_balance: Decimal
) -> dict[str, Decimal]:
    """A simulated account as stored; before its first cycle, the bot's capital (else the
    installation's start balance) in the quote asset."""
    balances = {row.asset: row.free for row in rows}
    if not balances:
        quote = bot.symbol.partition("/")[2]
        balances = {quote: bot.initial_capital or start_balance}
    return balances


async def account(ctx: EngineContext, session: AsyncSession, user_id: int, bot_id: int) -> Account:
    """The bot's account; 404 for another user's bot, as everywhere."""
    bot = await bots.get(session, user_id, bot_id)
    if bot.mode in SIMULATED_MODES:
        rows = await session.execute(select(SimBalance).where(SimBalance.bot_config_id == bot.id))
        assets = simulated_balances(bot, rows.scalars(), ctx.settings.sim_start_balance)
        return Account(bot.id, bot.mode, True, {a: v for a, v in assets.items() if v})
    key = await key_for_bot(session, bot)
    if key is None:
        raise Conflict("this bot has no API key: add one under API keys")
    exchange = ctx.exchanges.account(bot.mode, decrypt(ctx.box, key))
    try:
        with exchange_errors():
            held = await exchange.fetch_balance()
    except InvalidKey:
        raise Conflict("the exchange refused this bot's API key") from None
    finally:
        await ctx.exchanges.close_retired()  # the account's client is kept for next time
    return Account(bot.id, bot.mode, False, {a: b.total for a, b in sorted(held.items())})
