"""Backtest jobs for their owner: submit (checked like a bot, within the per-user limits),
history, one job with its report, its trades as CSV, cancel or delete. The jobs run on the
workers (`tradebot.backtests.jobs`)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tradebot.backtests import repository
from tradebot.backtests.jobs import STALE_REASON
from tradebot.backtests.report import trades_csv
from tradebot.backtests.schemas import BacktestCreate, BacktestOut, BacktestPage, ResultOut
from tradebot.bots import rules
from tradebot.bots import service as bots
from tradebot.bots.schemas import STRATEGY_FIELDS
from tradebot.core.candles import from_ms, timeframe_ms
from tradebot.db import after_commit
from tradebot.engine.context import EngineContext
from tradebot.errors import Conflict, InvalidInput, NotFound, invalid
from tradebot.events.notify import backtest_changed, backtest_committed
from tradebot.models import Backtest
from tradebot.paging import cut, decode_cursor
from tradebot.schemas import decimal_text

EARLIEST = datetime(2010, 1, 1, tzinfo=UTC)  # older than any crypto market's candles
REQUIRED_STRATEGY = ("stop_loss_perc", "take_profit_perc")


def _json(value: object) -> object:
    return decimal_text(value) if isinstance(value, Decimal) else value


async def _strategy(session: AsyncSession, user_id: int, body: BacktestCreate) -> dict[str, Any]:
    """The strategy settings: the body's (checked by the bots' rules) or the bot's."""
    given = body.model_fields_set & set(STRATEGY_FIELDS)
    if body.bot_id is not None:
        if given:
            raise InvalidInput(
                "give either bot_id or strategy settings, not both", field=sorted(given)[0]
            )
        bot = await bots.get(session, user_id, body.bot_id)  # 404 for anyone else's
        values = {name: getattr(bot, name) for name in STRATEGY_FIELDS}
    else:
        values = body.model_dump(include=set(STRATEGY_FIELDS))
        errors = [
            {"field": f, "reason": "Field required"} for f in REQUIRED_STRATEGY if values[f] is None
        ]
        if errors:
            raise invalid(errors)
        errors = rules.check(values)
        if errors:
            raise invalid(errors)
    return {k: _json(v) for k, v in values.items()}


def _ms(moment: datetime, name: str) -> int:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        if moment < EARLIEST:
            raise InvalidInput(f"must not be before {EARLIEST.date()}", field=name)
        return int(moment.timestamp() * 1000)
    except OverflowError:
        raise InvalidInput("out of range", field=name) from None


def _range(body: BacktestCreate, now_ms: int, max_bars: int) -> tuple[int, int]:
    """(first candle's open time in epoch ms, candles) of the request, up to the latest
    closed candle."""
    step = timeframe_ms(body.timeframe)
    if body.bars is not None and body.start is not None:
        raise InvalidInput("give bars or from, not both", field="from")
    if body.bars is None and body.start is None:
        raise InvalidInput("give bars, or from (and to)", field="bars")
    first = None if body.start is None else _ms(body.start, "from")
    latest = now_ms - now_ms % step
    end = latest if body.end is None else min(latest, _ms(body.end, "to"))
    end -= end % step
    if first is not None:
        start = first + -first % step
        if start >= end:
            raise InvalidInput(
                "must be before to (and before the latest closed candle)", field="from"
            )
        bars, field = (end - start) // step, "from"
    else:
        assert body.bars is not None
        bars, field = body.bars, "bars"
        start = end - bars * step
    if bars > max_bars:
        raise InvalidInput(
            f"at most {max_bars} candles per backtest (BACKTEST_MAX_BARS); this asks for {bars}",
            field=field,
        )
    if bars < 2:
        raise InvalidInput("the range holds fewer than 2 candles", field=field)
    if start < EARLIEST.timestamp() * 1000:
        raise InvalidInput(f"must not start before {EARLIEST.date()}", field=field)
    return start, bars


async def create(
    ctx: EngineContext, session: AsyncSession, user_id: int, body: BacktestCreate
) -> Backtest:
    """A queued job, sent to the backtest workers once it commits."""
    s = ctx.settings
    strategy = await _strategy(session, user_id, body)
    now_ms = ctx.exchanges.demo.now_ms() if body.source == "demo" else int(time.time() * 1000)
    start, bars = _range(body, now_ms, s.backtest_max_bars)
    await repository.lock_owner(session, user_id)
    stale = timedelta(seconds=s.backtest_stale_seconds)
    for job_id, _, progress in await repository.fail_stale(
        session, stale, STALE_REASON, user_id=user_id
    ):
        backtest_committed(session, ctx.publisher, user_id, job_id, "failed", progress)
    active = await repository.count_active(session, user_id)
    if active >= s.backtest_max_active:
        raise Conflict(
            f"{active} of your backtests are queued or running, the most allowed at once "
            "(BACKTEST_MAX_ACTIVE); wait for one to finish or cancel one"
        )
    step = timeframe_ms(body.timeframe)
    params = {
        "symbol": body.symbol,
        "timeframe": body.timeframe,
        "source": body.source,
        "start_ms": start,
        "bars": bars,
        "from": from_ms(start).isoformat(),
        "to": from_ms(start + bars * step).isoformat(),
        "bot_id": body.bot_id,
        "strategy": strategy,
    }
    job = Backtest(user_id=user_id, status="queued", progress=0, params=params)
    session.add(job)
    await session.flush()
    job_id = job.id

    async def enqueue() -> None:
        ctx.tasks.send_backtest(job_id)
        await backtest_changed(ctx.publisher, user_id, job_id, "queued", 0)

    after_commit(session, enqueue)
    return job


async def get(session: AsyncSession, user_id: int, backtest_id: int) -> Backtest:
    job = await repository.get_for(session, user_id, backtest_id)
    if job is None:
        raise NotFound("backtest not found")
    return job


async def page(
    session: AsyncSession, user_id: int, *, limit: int, offset: int, cursor: str | None
) -> BacktestPage:
    """The user's jobs, newest first: by `cursor` (the previous page's `next_cursor`) or by
    `offset`."""
    if cursor and offset:
        raise InvalidInput("use either cursor or offset", field="offset")
    after = decode_cursor(cursor) if cursor else None
    rows = await repository.page_for(session, user_id, limit=limit + 1, offset=offset, after=after)
    items, next_cursor = cut(rows, limit, lambda b: (b.created_at, b.id))
    return BacktestPage(
        items=[BacktestOut.model_validate(r) for r in items], next_cursor=next_cursor
    )


async def csv_of(session: AsyncSession, user_id: int, backtest_id: int) -> str:
    """The finished job's trades as CSV; 409 before it is done."""
    job = await get(session, user_id, backtest_id)
    if job.status != "done" or job.result is None:
        raise Conflict(f"the backtest has no report (it is {job.status})")
    return trades_csv(ResultOut.model_validate(job.result))


async def delete(ctx: EngineContext, session: AsyncSession, user_id: int, backtest_id: int) -> str:
    """Cancel a queued or running job (it stays in the history as cancelled), or delete a
    finished one; what was done."""
    job = await get(session, user_id, backtest_id)
    if await repository.cancel(session, user_id, backtest_id):
        backtest_committed(session, ctx.publisher, user_id, backtest_id, "cancelled", job.progress)
        return "cancelled"
    if await repository.delete_finished(session, user_id, backtest_id):
        return "deleted"
    raise Conflict("the backtest changed meanwhile; try again")
