"""/trades and /pnl: the trade history and the P&L statistics of the REST API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tradebot.schemas import decimal_text
from tradebot.stats import service as stats
from tradebot.stats.schemas import TotalsOut
from tradebot.telegram.context import CommandContext
from tradebot.telegram.registry import TRADING, UsageError, command
from tradebot.trades import service as trades
from tradebot.trades.schemas import TradeOut

DEFAULT_TRADES = 10
MAX_TRADES = 50  # one message holds 4,096 characters
PERIODS = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}


def trade_line(t: TradeOut) -> str:
    pnl = f", P&L {decimal_text(t.pnl)}" if t.pnl is not None else ""
    bot = f"#{t.bot_config_id} " if t.bot_config_id is not None else ""
    return (
        f"{t.timestamp:%m-%d %H:%M} {bot}{t.side} {decimal_text(t.quantity_filled)} "
        f"{t.symbol} at {decimal_text(t.price)}{pnl}"
    )


@command(
    "trades",
    description="The latest trades, of every bot or of one",
    usage=f"/trades [ID] [N up to {MAX_TRADES}]",
    section=TRADING,
    account=True,
    max_args=2,
)
async def trades_(c: CommandContext) -> None:
    bot_id = c.int_arg(0, "ID") if c.args else None
    count = c.int_arg(1, "N", high=MAX_TRADES) if len(c.args) == 2 else DEFAULT_TRADES
    async with c.session() as session:
        page = await trades.page(session, c.owner, bot_id=bot_id, limit=count, cursor=None)
    if not page.items:
        await c.reply("No trades yet.")
        return
    await c.reply("\n".join(trade_line(t) for t in page.items))


def totals_line(label: str, t: TotalsOut) -> str:
    return (
        f"{label}: P&L {decimal_text(t.realised_pnl)}, fees {decimal_text(t.fees)}, "
        f"{t.trades} trades ({t.wins} won, {t.losses} lost)"
    )


@command(
    "pnl",
    description="Realised P&L today, this week, this month or ever",
    usage="/pnl [day|week|month|all]",
    section=TRADING,
    account=True,
    max_args=1,
)
async def pnl(c: CommandContext) -> None:
    period = c.args[0].lower() if c.args else "day"
    if period not in (*PERIODS, "all"):
        raise UsageError("Choose day, week, month or all.")
    now = datetime.now(UTC)
    start = now - PERIODS.get(period, PERIODS["day"])
    async with c.session() as session:
        found = await stats.stats(session, c.owner, start=start, end=now, bot_id=None, now=now)
    if period == "all":
        await c.reply(totals_line("All time", found.all_time))
        return
    label = "Today (UTC)" if period == "day" else f"Last {PERIODS[period].days} days"
    totals = found.today if period == "day" else found.total
    lines = [totals_line(label, totals)]
    if period != "day":
        lines += [
            f"#{b.bot_id} {b.name}: {decimal_text(b.realised_pnl)} ({b.trades} trades)"
            for b in found.by_bot
            if b.bot_id is not None
        ]
    await c.reply("\n".join(lines))
