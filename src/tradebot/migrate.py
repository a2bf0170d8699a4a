"""Run Alembic migrations from code (`tradebot migrate`, `tradebot up`, tests)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["database_url"] = database_url
    cfg.attributes["configure_logging"] = False
    return cfg


async def run_async(database_url: str, action: str = "upgrade", target: str = "head") -> None:
    """Upgrade or downgrade on one connection, from inside a running event loop."""
    engine = create_async_engine(database_url, poolclass=NullPool)

    def _run(conn: Connection) -> None:
        cfg = alembic_config(database_url)
        cfg.attributes["connection"] = conn
        getattr(command, action)(cfg, target)

    try:
        async with engine.begin() as conn:
            await conn.run_sync(_run)
    finally:
        await engine.dispose()


def upgrade(database_url: str, target: str = "head") -> None:
    asyncio.run(run_async(database_url, "upgrade", target))


def downgrade(database_url: str, target: str = "base") -> None:
    asyncio.run(run_async(database_url, "downgrade", target))
