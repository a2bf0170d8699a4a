"""What the market command handlers share: one way to answer with `analysis.service`.

A bad symbol or timeframe is a usage error (its sentence, then the usage line); an exchange
that cannot answer now is a plain reply. Not a handler module: it declares no command.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tradebot.analysis.service import BadInput, MarketError, MarketService
from tradebot.telegram.context import CommandContext
from tradebot.telegram.registry import UsageError


@asynccontextmanager
async def market(c: CommandContext) -> AsyncIterator[MarketService]:
    """The market service of this bot's process; its errors become replies."""
    try:
        yield MarketService(c.resources)
    except BadInput as exc:
        raise UsageError(str(exc)) from None
    except MarketError as exc:
        await c.reply(str(exc))


def arg(c: CommandContext, index: int) -> str | None:
    """Argument `index`, None when not given."""
    return c.args[index] if len(c.args) > index else None
