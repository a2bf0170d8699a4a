from __future__ import annotations

import uuid

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tests.conftest import create_database, drop_database
from tradebot import migrate
from tradebot.models import Base

SEED_COLUMNS = {
    "users": {"id", "email", "hashed_password", "is_active", "created_at", "updated_at"},
    "api_keys": {
        "id",
        "user_id",
        "encrypted_api_key",
        "encrypted_secret_key",
        "label",
        "is_valid",
        "created_at",
        "updated_at",
    },
    "bot_configs": {
        "id",
        "user_id",
        "name",
        "symbol",
        "timeframe",
        "is_active",
        "initial_capital",
        "daily_target_perc",
        "max_daily_loss_perc",
        "position_size_perc",
        "position_size_fixed",
        "stop_loss_perc",
        "take_profit_perc",
        "trailing_stop_perc",
        "trailing_stop_active",
        "ema_fast",
        "ema_slow",
        "rsi_period",
        "rsi_oversold",
        "rsi_overbought",
        "max_daily_trades",
        "check_interval_seconds",
        "created_at",
        "updated_at",
    },
    "bot_states": {
        "id",
        "status",
        "in_position",
        "entry_price",
        "current_position_size_coins",
        "trailing_stop_price",
        "max_price_since_entry",
        "take_profit_price",
        "stop_loss_price",
        "daily_pnl",
        "daily_trades_count",
        "last_run_at",
        "last_error_message",
        "last_updated_at",
    },
    "trades": {
        "id",
        "bot_config_id",
        "user_id",
        "binance_order_id",
        "symbol",
        "side",
        "order_type",
        "price",
        "quantity_filled",
        "quote_quantity_filled",
        "commission_amount",
        "commission_asset",
        "pnl",
        "timestamp",
    },
}


def _diff(conn: Connection) -> list[object]:
    ctx = MigrationContext.configure(
        conn, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(ctx, Base.metadata))


def _schema(conn: Connection) -> dict[str, dict[str, object]]:
    insp = inspect(conn)
    out: dict[str, dict[str, object]] = {}
    for table in insp.get_table_names():
        out[table] = {
            "columns": {c["name"]: str(c["type"]) for c in insp.get_columns(table)},
            "indexes": {
                i["name"]: (tuple(i["column_names"]), i["unique"]) for i in insp.get_indexes(table)
            },
            "uniques": {
                u["name"]: tuple(u["column_names"]) for u in insp.get_unique_constraints(table)
            },
            "fks": {
                (tuple(f["constrained_columns"]), f["referred_table"])
                for f in insp.get_foreign_keys(table)
            },
        }
    return out


async def test_upgrade_from_empty_downgrade_and_no_drift(services: tuple[str, str]) -> None:
    admin = services[0]
    name = f"tradebot_mig_{uuid.uuid4().hex[:8]}"
    url = await create_database(admin, name)
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        await migrate.run_async(url, "upgrade", "head")
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
            schema = await conn.run_sync(_schema)
        for table, cols in SEED_COLUMNS.items():
            assert cols <= set(schema[table]["columns"]), table  # type: ignore[arg-type]
        assert schema["users"]["indexes"]["ix_users_email"] == (("email",), True)  # type: ignore[index]
        assert ("user_id",) in {c for c, _ in schema["api_keys"]["indexes"].values()}  # type: ignore[attr-defined]
        assert (("bot_config_id",), "bot_configs") in schema["trades"]["fks"]  # type: ignore[operator]
        assert (("id",), "bot_configs") in schema["bot_states"]["fks"]  # type: ignore[operator]
        assert "NUMERIC(38, 18)" in schema["trades"]["columns"]["price"]  # type: ignore[index]
        # Exchange order ids are unique per venue and symbol, not across them.
        assert ("venue", "symbol", "binance_order_id") in schema["trades"]["uniques"].values()  # type: ignore[attr-defined]
        assert ("binance_order_id",) not in schema["trades"]["uniques"].values()  # type: ignore[attr-defined]
        assert (("position_key_id",), "api_keys") in schema["bot_states"]["fks"]  # type: ignore[operator]
        await migrate.run_async(url, "downgrade", "base")
        async with engine.connect() as conn:
            left = await conn.run_sync(lambda c: inspect(c).get_table_names())
        assert set(left) <= {"alembic_version"}
        await migrate.run_async(url, "upgrade", "head")
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
    finally:
        await engine.dispose()
        await drop_database(admin, name)


def test_relationships_both_ways() -> None:
    from tradebot.models import ApiKey, BotConfig, BotState, Trade, User

    pairs = [
        (User.api_keys, "owner"),
        (User.bot_configs, "owner"),
        (User.trades, "user"),
        (ApiKey.owner, "api_keys"),
        (BotConfig.owner, "bot_configs"),
        (BotConfig.state, "config"),
        (BotConfig.trades, "bot"),
        (BotState.config, "state"),
        (Trade.bot, "trades"),
        (Trade.user, "trades"),
    ]
    for attr, back in pairs:
        assert attr.property.back_populates == back
