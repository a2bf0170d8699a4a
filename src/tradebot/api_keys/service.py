"""Exchange API keys: stored encrypted, shown masked, decrypted only in memory where used."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from tradebot.api_keys import repository
from tradebot.context import AppContext
from tradebot.errors import Conflict, NotFound
from tradebot.models import ApiKey, BotConfig, BotState
from tradebot.schemas import decimal_text
from tradebot.security import SecretBox

REASON_MAX = 500  # characters of an exchange's refusal kept on the key


@dataclass(frozen=True)
class ExchangeCredentials:
    """A decrypted key pair; its repr never shows either half."""

    api_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    key_id: int = 0


def masked(key: ApiKey) -> str:
    return f"****{key.api_key_last4}"


async def create(
    session: AsyncSession,
    box: SecretBox,
    user_id: int,
    label: str | None,
    api_key: str,
    secret: str,
) -> ApiKey:
    key = ApiKey(
        user_id=user_id,
        label=label or None,
        encrypted_api_key=box.encrypt(api_key),
        encrypted_secret_key=box.encrypt(secret),
        api_key_last4=api_key[-4:],
        is_valid=False,
    )
    session.add(key)
    await session.flush()
    return key


async def get(session: AsyncSession, user_id: int, key_id: int) -> ApiKey:
    key = await repository.get_for(session, user_id, key_id)
    if key is None:
        raise NotFound("API key not found")
    return key


async def delete(session: AsyncSession, user_id: int, key_id: int) -> None:
    """Delete a key; refused while a bot holds a position or an unresolved order on its
    account, or while an active bot trades with it."""
    key = await get(session, user_id, key_id)
    holder = await session.scalar(
        select(BotState.id)
        .join(BotConfig, BotConfig.id == BotState.id)
        .where(BotConfig.user_id == user_id, BotState.position_key_id == key.id)
        .order_by(BotState.id)
        .limit(1)
    )
    if holder is not None:
        raise Conflict(
            f"bot {holder} holds a position (or an order not yet resolved) on this key's "
            "account; close it before deleting the key"
        )
    active = await session.scalars(
        select(BotConfig)
        .where(
            BotConfig.user_id == user_id,
            BotConfig.is_active.is_(True),
            BotConfig.mode.in_(("live", "testnet")),
        )
        .options(selectinload(BotConfig.state))
    )
    for bot in active:
        used = await key_for_bot(session, bot)
        if used is not None and used.id == key.id:
            raise Conflict(f"active bot {bot.id} trades with this key; stop it first")
    await session.delete(key)
    await session.flush()


@dataclass(frozen=True)
class Validation:
    """The exchange's answer to a key: accepted (with balances) or refused (with why)."""

    valid: bool
    balances: dict[str, str]
    reason: str | None = None


async def validate(
    ctx: AppContext, session: AsyncSession, user_id: int, key_id: int, mode: str
) -> tuple[ApiKey, Validation]:
    """Ask the exchange for the key's balances and record whether it works.

    A refused key is marked invalid, with the exchange's reason; an exchange that cannot be
    reached changes nothing.
    """
    from tradebot.exchange.ccxt_adapter import CcxtAdapter
    from tradebot.exchange.errors import InvalidKey
    from tradebot.market_data.governor import exchange_budget

    key = await get(session, user_id, key_id)
    creds = decrypt(ctx.box, key)
    budget = exchange_budget(ctx.redis, ctx.settings, sandbox=mode == "testnet")
    adapter = CcxtAdapter(
        api_key=creds.api_key,
        secret=creds.secret_key,
        sandbox=mode == "testnet",
        base_url=ctx.settings.binance_base_url,
        timeout=ctx.settings.exchange_timeout,
        budget=budget,
    )
    try:
        balances = await adapter.fetch_balance()
        result = Validation(True, {a: decimal_text(b.total) for a, b in sorted(balances.items())})
    except InvalidKey as exc:
        result = Validation(False, {}, str(exc))
    finally:
        await adapter.close()
    key.is_valid = result.valid
    key.refused_reason = None if result.valid else _refusal(mode, result.reason)
    await session.flush()
    return key, result


def _refusal(mode: str, reason: str | None) -> str:
    """What a refused key's row says: which Binance refused it, and its words (bounded)."""
    where = "Binance testnet" if mode == "testnet" else "Binance"
    return f"{where}: {reason or 'refused'}"[:REASON_MAX]


async def key_for_bot(session: AsyncSession, bot: BotConfig) -> ApiKey | None:
    """The key a bot trades with (its state must be loaded).

    The key whose account holds the bot's open position or unresolved order, whatever the
    bot's settings say since; else the bot's own choice; else the owner's default key.
    """
    chosen = bot.state.position_key_id or bot.api_key_id
    if chosen is not None:
        return await repository.get_for(session, bot.user_id, chosen)
    return await repository.newest_for(session, bot.user_id)


def decrypt(box: SecretBox, key: ApiKey) -> ExchangeCredentials:
    """The plaintext pair, in memory only."""
    return ExchangeCredentials(
        api_key=box.decrypt(key.encrypted_api_key),
        secret_key=box.decrypt(key.encrypted_secret_key),
        key_id=key.id,
    )


async def reencrypt_all(session: AsyncSession, box: SecretBox) -> int:
    """Re-encrypt every stored secret under the box's first key; returns rows touched."""
    rows = await repository.all_rows(session)
    for key in rows:
        key.encrypted_api_key = box.rotate(key.encrypted_api_key)
        key.encrypted_secret_key = box.rotate(key.encrypted_secret_key)
    await session.flush()
    return len(rows)
