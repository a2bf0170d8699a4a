"""End-of-cycle writes, all fenced on the bot's lease: state, trades, counters, balances,
and the error history of failed cycles."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ARRAY, TextualSelect, bindparam, case, delete, func, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from tradebot.engine.cycle import CycleOutcome
from tradebot.engine.exchanges import venue
from tradebot.engine.schedule import fenced
from tradebot.models import BotConfig, BotError, BotState, SimBalance, Trade
from tradebot.notifications import outbox

LEASE_CLEARED = {"lease_token": None, "lease_expires_at": None, "queued_until": None}


class LeaseLost(RuntimeError):
    """Another cycle owns the bot now: this one must not write."""

    def __init__(self, bot_id: int) -> None:
        super().__init__(f"bot {bot_id}: lease lost")
        self.bot_id = bot_id


async def _fenced_update(
    session: AsyncSession, bot_id: int, token: str, **values: object
) -> dict[str, object]:
    """Write the lease holder's values; returns the row's status as committed."""
    stmt = (
        update(BotState)
        .where(fenced(bot_id, token))
        .values(**values)
        .returning(BotState.status, BotState.stop_reason, BotState.next_run_at)
    )
    # Plain SQL: no in-session objects to synchronise (and it is far cheaper).
    row = (await session.execute(stmt.execution_options(synchronize_session=False))).first()
    if row is None:
        raise LeaseLost(bot_id)
    return dict(row._mapping)


# Written by every completed cycle.
CYCLE_DONE: dict[str, object] = {
    "retry_count": 0,
    "pending_order": None,
    "last_error_message": None,
    **LEASE_CLEARED,
}


def state_values(
    bot: BotConfig, outcome: CycleOutcome, *, now: datetime, next_run_at: datetime
) -> dict[str, object]:
    """The bot_states columns a completed cycle sets (besides CYCLE_DONE)."""
    pos = outcome.position
    return {
        "in_position": pos.in_position,
        "entry_price": pos.entry_price,
        "current_position_size_coins": pos.quantity,
        "max_price_since_entry": pos.max_price_since_entry,
        "stop_loss_price": pos.stop_loss_price,
        "take_profit_price": pos.take_profit_price,
        "trailing_stop_price": pos.trailing_stop_price,
        "last_candle_time": pos.last_candle_time,
        "daily_pnl": outcome.daily_pnl,
        "daily_trades_count": outcome.daily_trades,
        "daily_entries": outcome.daily_entries,
        "day_open_value": outcome.day_open_value,
        "pnl_day": outcome.pnl_day,
        "day_start_equity": outcome.day_start_equity,
        "last_run_at": now,
        "next_run_at": next_run_at,
        "cycle_count": bot.state.cycle_count + 1,  # the lease guarantees nobody else moved it
        "position_key_id": outcome.position_key_id,
    }


async def save_outcome(
    session: AsyncSession,
    bot: BotConfig,
    outcome: CycleOutcome,
    *,
    token: str,
    now: datetime,
    next_run_at: datetime,
) -> dict[str, object]:
    """Seed steps 8-11 in the caller's single transaction; returns the state values written."""
    values = state_values(bot, outcome, now=now, next_run_at=next_run_at)
    if outcome.trades:
        values["last_trade_at"] = max(t.fill.timestamp for t in outcome.trades)
    if outcome.stop_reason:
        values.update(status="stopped", stop_reason=outcome.stop_reason)
    # A stop made while the cycle ran stands: its trades are still recorded, but the bot is
    # not scheduled again and its event says what the row says.
    write = values | {"next_run_at": case((BotState.status == "running", next_run_at), else_=None)}
    values.update(await _fenced_update(session, bot.id, token, **write, **CYCLE_DONE))
    if outcome.stop_reason:
        await session.execute(
            update(BotConfig)
            .where(BotConfig.id == bot.id)
            .values(is_active=False)
            .execution_options(synchronize_session=False)
        )
    where = venue(bot.mode, bot.exchange)
    title = outbox.bot_title(bot.id, bot.name)
    for t in outcome.trades:
        f = t.fill
        text = outbox.trade_text(
            title, bot.symbol, f.side.value, f.quantity, f.price, t.pnl, t.reason
        )
        await outbox.enqueue(session, bot.user_id, "trade", f"trade:{where}:{f.order_id}", text)
        session.add(
            Trade(
                bot_config_id=bot.id,
                user_id=bot.user_id,
                venue=where,
                binance_order_id=f.order_id,
                symbol=bot.symbol,
                side=f.side.value,
                order_type="MARKET",
                price=f.price,
                quantity_filled=f.quantity,
                quote_quantity_filled=f.quote_quantity,
                commission_amount=f.commission,
                commission_asset=f.commission_asset,
                pnl=t.pnl,
                reason=t.reason,
                timestamp=f.timestamp,
            )
        )
    if outcome.stop_reason and values.get("status") == "stopped":
        key = f"stopped:{bot.id}:cycle:{values['cycle_count']}"
        text = outbox.stopped_text(title, outcome.stop_reason)
        await outbox.enqueue(session, bot.user_id, "stopped", key, text)
    if outcome.balances is not None and (outcome.trades or not bot.sim_balances):
        # Balances move only with fills (and are seeded on the first cycle).
        await save_balances(session, {bot.id: outcome.balances})
    await session.flush()
    return values | CYCLE_DONE


async def save_holds(
    session: AsyncSession,
    rows: list[tuple[BotConfig, CycleOutcome, datetime, datetime]],
    token: str,
) -> set[int]:
    """Cycles that changed nothing but the bots' own state, written in one statement.

    Fenced like every other write: returns the ids whose lease was still this token's (and
    that are still running). The statement is the same text whatever the batch's size (one
    array per column, `unnest`ed), so it is compiled once and prepared once per connection.
    """
    if not rows:
        return set()
    records = [
        {"id": bot.id, **state_values(bot, outcome, now=now, next_run_at=following)}
        for bot, outcome, now, following in rows
    ]
    names = tuple(records[0])
    params: dict[str, object] = {n: [r[n] for r in records] for n in names}
    params |= {f"done_{n}": v for n, v in CYCLE_DONE.items() if v is not None}
    params["token"] = token
    found = await session.execute(_holds_statement(names), params)
    written = set(found.scalars())
    # A simulated account's first cycle seeds its balances, in the same transaction.
    seeds = {
        bot.id: outcome.balances
        for bot, outcome, *_ in rows
        if bot.id in written and outcome.balances is not None and not bot.sim_balances
    }
    await save_balances(session, seeds)
    return written


async def save_balances(
    session: AsyncSession, accounts: Mapping[int, Mapping[str, Decimal]]
) -> None:
    """Replace the balances of many simulated accounts: two statements whatever their number
    (the accounts' rows as arrays, `unnest`ed)."""
    if not accounts:
        return
    rows = [(bot, a, v) for bot, balances in accounts.items() for a, v in balances.items() if v]
    await session.execute(
        delete(SimBalance)
        .where(SimBalance.bot_config_id.in_(list(accounts)))
        .execution_options(synchronize_session=False)
    )
    if rows:
        bots, assets, amounts = (list(column) for column in zip(*rows, strict=True))
        await session.execute(_SEED, {"bots": bots, "assets": assets, "amounts": amounts})


_SEED = text(
    "INSERT INTO sim_balances (bot_config_id, asset, free)"
    " SELECT * FROM unnest(CAST(:bots AS INTEGER[]), CAST(:assets AS VARCHAR(16)[]),"
    " CAST(:amounts AS NUMERIC(38, 18)[]))"
).bindparams(
    bindparam("bots", type_=ARRAY(SimBalance.__table__.c.bot_config_id.type)),
    bindparam("assets", type_=ARRAY(SimBalance.__table__.c.asset.type)),
    bindparam("amounts", type_=ARRAY(SimBalance.__table__.c.free.type)),
)


@functools.cache
def _holds_statement(names: tuple[str, ...]) -> TextualSelect:
    """UPDATE ... FROM unnest(one typed array per column) for these columns, built once."""
    table = BotState.__table__
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    unknown = set(names) - set(table.c.keys())
    assert not unknown, unknown  # our own column names only: nothing else reaches the SQL

    def sql_type(name: str) -> str:
        return str(table.c[name].type.compile(dialect=dialect))

    arrays = ", ".join(f"CAST(:{n} AS {sql_type(n)}[])" for n in names)
    sets = [f"{n} = v.{n}" for n in names if n != "id"]
    # What every completed cycle clears (SQL NULL, never a JSON null) or resets.
    sets += [f"{n} = NULL" if v is None else f"{n} = :done_{n}" for n, v in CYCLE_DONE.items()]
    sets.append("last_updated_at = now()")
    binds = [bindparam(n, type_=ARRAY(table.c[n].type)) for n in names]
    binds += [
        bindparam(f"done_{n}", type_=table.c[n].type)
        for n, v in CYCLE_DONE.items()
        if v is not None
    ]
    return (
        text(
            f"UPDATE bot_states AS s SET {', '.join(sets)}"  # noqa: S608 - column names only
            f" FROM unnest({arrays}) AS v({', '.join(names)})"
            # A bot stopped while its quiet cycle ran keeps the stop: nothing to write.
            " WHERE s.id = v.id AND s.lease_token = :token AND s.status = 'running'"
            " RETURNING s.id"
        )
        .bindparams(*binds)
        .columns(id=table.c.id.type)
    )


# Error history kept per bot: enough to see a pattern, bounded however long a bot fails.
ERRORS_KEPT = 200


async def add_error(
    session: AsyncSession, bot_id: int, user_id: int, message: str, *, kind: str, attempt: int
) -> int:
    """Append to the bot's error history and drop what falls beyond ERRORS_KEPT (normally
    one row: the trim reads ERRORS_KEPT index entries at most); the new row's id."""
    error = BotError(
        bot_config_id=bot_id, user_id=user_id, message=message, kind=kind, attempt=attempt
    )
    session.add(error)
    await session.flush()
    beyond = (
        select(BotError.id)
        .where(BotError.bot_config_id == bot_id)
        .order_by(BotError.occurred_at.desc(), BotError.id.desc())
        .offset(ERRORS_KEPT)
    )
    await session.execute(
        delete(BotError)
        .where(BotError.id.in_(beyond.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    return error.id


async def record_error(
    session: AsyncSession,
    bot_id: int,
    user_id: int,
    token: str,
    message: str,
    *,
    attempt: int,
    name: str = "",
) -> None:
    """A permanent failure: the bot stops in status `error` with the reason shown (and its
    owner's chat is told)."""
    await _fenced_update(
        session,
        bot_id,
        token,
        status="error",
        last_error_message=message,
        retry_count=0,
        last_run_at=func.now(),
        **LEASE_CLEARED,
    )
    error_id = await add_error(session, bot_id, user_id, message, kind="permanent", attempt=attempt)
    text = outbox.stopped_text(outbox.bot_title(bot_id, name), "error", message)
    await outbox.enqueue(session, user_id, "stopped", f"stopped:{bot_id}:error:{error_id}", text)
    await session.execute(
        update(BotConfig)
        .where(BotConfig.id == bot_id)
        .values(is_active=False)
        .execution_options(synchronize_session=False)
    )


async def release_for_retry(
    session: AsyncSession,
    bot_id: int,
    user_id: int,
    token: str,
    message: str,
    *,
    attempt: int,
    count: bool,
    wait: float,
    name: str = "",
) -> None:
    """A temporary failure: give the lease back, due again after `wait`, count the attempt;
    the first of a run of failures is told to the owner's chat."""
    values: dict[str, object] = {
        "last_error_message": message,
        "next_run_at": func.now() + func.make_interval(0, 0, 0, 0, 0, 0, wait),
        **LEASE_CLEARED,
    }
    if count:
        values["retry_count"] = BotState.retry_count + 1
    await _fenced_update(session, bot_id, token, **values)
    error_id = await add_error(session, bot_id, user_id, message, kind="temporary", attempt=attempt)
    if attempt == 1:
        text = outbox.error_text(outbox.bot_title(bot_id, name), message, attempt)
        await outbox.enqueue(session, user_id, "error", f"error:{bot_id}:{error_id}", text)
