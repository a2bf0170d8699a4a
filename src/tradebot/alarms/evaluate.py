"""The alarm evaluator (Celery Beat, every ALARM_CHECK_SECONDS): one reading per market.

Alarms are grouped by (source, symbol): the price is read once per group and the candles
once per timeframe any alarm of the group needs, cache-first like the chat's commands (the
collector keeps these markets warm: `market_data.watched` lists alarms' markets). Each
alarm's condition is then compared with its last check; a crossing writes the alarm and its
notification in the same transaction, keyed by the alarm's crossing count, so a crossing is
told once however often the evaluator runs.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tradebot import metrics
from tradebot.alarms import rules
from tradebot.alarms.service import condition, periods
from tradebot.analysis.market import MarketReader
from tradebot.analysis.ta import default_strategy
from tradebot.core.strategy import TradingStrategy
from tradebot.db import sole_runner, transaction
from tradebot.engine.context import EngineContext
from tradebot.exchange.errors import ExchangeError
from tradebot.models import Alarm
from tradebot.notifications.outbox import enqueue

log = logging.getLogger(__name__)
RUNNER = "tradebot.alarms.evaluate"


@dataclass
class EvaluateReport:
    alarms: int = 0
    markets: int = 0  # (source, symbol) groups read
    fired: int = 0
    failures: int = 0  # markets that could not be read this run
    busy: bool = False


def _last(values: npt.NDArray[np.float64]) -> float | None:
    """The series' value at the last closed candle; None while it warms up."""
    value = float(values[-1]) if len(values) else math.nan
    return None if math.isnan(value) else value


async def read_market(
    ctx: EngineContext, source: str, symbol: str, timeframes: Iterable[str]
) -> dict[str | None, rules.Reading]:
    """The market's reading for price alarms (key None) and per timeframe."""
    reader = MarketReader(ctx, source)
    ticker = (await reader.ticker(symbol)).value
    readings: dict[str | None, rules.Reading] = {None: rules.Reading(ticker.last)}
    strategy = TradingStrategy(default_strategy())
    for tf in timeframes:
        candles = (await reader.closed_candles(symbol, tf, ticker)).value
        sig = strategy.signals(candles)
        readings[tf] = rules.Reading(
            ticker.last,
            rsi=_last(sig.rsi),
            ema_fast=_last(sig.ema_fast),
            ema_slow=_last(sig.ema_slow),
        )
    return readings


def alarm_markets(alarms: Iterable[Alarm]) -> dict[tuple[str, str], list[Alarm]]:
    groups: dict[tuple[str, str], list[Alarm]] = defaultdict(list)
    for alarm in alarms:
        groups[(alarm.source, alarm.symbol)].append(alarm)
    return groups


async def _check(
    session: AsyncSession, alarm: Alarm, reading: rules.Reading, now: datetime
) -> bool:
    """Note the alarm's condition now; on a crossing, count it and queue its message."""
    cond = condition(alarm)
    side = rules.side(cond, reading)
    before = alarm.last_side
    alarm.last_checked_at = now
    alarm.last_value = rules.value_of(cond, reading)
    if side is None:
        return False
    alarm.last_side = side
    if not rules.fires(cond, before, side):
        return False
    alarm.fired_count += 1
    alarm.last_fired_at = now
    text = rules.fired_text(cond, reading, side, *periods())
    await enqueue(
        session, alarm.user_id, "alarm", f"alarm:{alarm.id}:{alarm.fired_count}", f"🔔 {text}"
    )
    return True


async def evaluate(ctx: EngineContext) -> EvaluateReport:
    """Check every alarm once; overlapping runs do nothing (`busy`)."""
    report = EvaluateReport()
    async with sole_runner(ctx.engine, RUNNER) as alone:
        if not alone:
            report.busy = True
            return report
        async with transaction(ctx.sessions) as session:
            alarms = (await session.execute(select(Alarm).order_by(Alarm.id))).scalars().all()
            report.alarms = len(alarms)
            now = datetime.now(UTC)
            for (source, symbol), group in alarm_markets(alarms).items():
                report.markets += 1
                timeframes = {a.timeframe for a in group if a.timeframe is not None}
                try:
                    readings = await read_market(ctx, source, symbol, sorted(timeframes))
                except ExchangeError as exc:
                    report.failures += 1
                    log.info("alarms: %s %s not read (%s)", source, symbol, type(exc).__name__)
                    continue
                for alarm in group:
                    if await _check(session, alarm, readings[alarm.timeframe], now):
                        report.fired += 1
    if report.fired:
        metrics.ALARMS_FIRED.inc(report.fired)
    if report.fired or report.failures:
        log.info(
            "alarms: %d checked over %d markets, %d fired, %d markets unread",
            report.alarms,
            report.markets,
            report.fired,
            report.failures,
        )
    return report
