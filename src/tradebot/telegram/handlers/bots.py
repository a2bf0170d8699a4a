"""/bots, /status, /startbot, /stopbot and /balance: the same bot services as the REST API."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from tradebot.bots import balance, service
from tradebot.errors import DomainError
from tradebot.models import BotConfig
from tradebot.schemas import decimal_text
from tradebot.telegram.context import ButtonContext, CommandContext
from tradebot.telegram.registry import TRADING, Button, button, command

NO_BOTS = "You have no bots yet: create one in the dashboard."


def _title(bot: BotConfig) -> str:
    return f"#{bot.id} {bot.name}"


def _status(bot: BotConfig) -> str:
    st = bot.state
    why = f" ({st.stop_reason})" if st.status == "stopped" and st.stop_reason else ""
    return st.status + why + (", in position" if st.in_position else "")


def summary(bot: BotConfig) -> str:
    """One line: which bot, what it trades and how, how it is doing."""
    return (
        f"{_title(bot)} — {bot.symbol} {bot.timeframe} {bot.mode} — {_status(bot)}, "
        f"today {decimal_text(bot.state.daily_pnl)}"
    )


def details(bot: BotConfig) -> str:
    """Everything `/status ID` tells of one bot."""
    st = bot.state
    lines = [
        _title(bot),
        f"{bot.symbol} {bot.timeframe}, {bot.mode} on {bot.exchange}",
        f"Status: {_status(bot)}",
    ]
    if st.in_position and st.entry_price is not None:
        size = decimal_text(st.current_position_size_coins or Decimal(0))
        lines.append(f"Position: {size} at {decimal_text(st.entry_price)}")
        if st.stop_loss_price is not None:
            lines.append(f"Stop loss: {decimal_text(st.stop_loss_price)}")
        if st.take_profit_price is not None:
            lines.append(f"Take profit: {decimal_text(st.take_profit_price)}")
    lines.append(f"Today: P&L {decimal_text(st.daily_pnl)}, {st.daily_trades_count} trades")
    if st.last_run_at is not None:
        lines.append(f"Last cycle: {st.last_run_at:%Y-%m-%d %H:%M:%S} UTC")
    if st.last_error_message:
        lines.append(f"Last error: {st.last_error_message}")
    return "\n".join(lines)


@command("bots", description="Your bots and how each is doing", section=TRADING, account=True)
async def bots(c: CommandContext) -> None:
    async with c.session() as session:
        found = await service.list_bots(session, c.owner)
    await c.reply("\n".join(summary(b) for b in found) if found else NO_BOTS)


@command(
    "status",
    description="One bot in detail, or the running ones",
    usage="/status [ID]",
    section=TRADING,
    account=True,
    max_args=1,
)
async def status(c: CommandContext) -> None:
    bot_id = c.int_arg(0, "ID") if c.args else None
    async with c.session() as session:
        if bot_id is not None:
            await c.reply(details(await service.get(session, c.owner, bot_id)))
            return
        found = [b for b in await service.list_bots(session, c.owner) if b.is_active]
    await c.reply("\n".join(summary(b) for b in found) if found else "No bot is running.")


@command(
    "startbot",
    description="Start a bot",
    usage="/startbot ID",
    section=TRADING,
    account=True,
    min_args=1,
    max_args=1,
)
async def startbot(c: CommandContext) -> None:
    bot_id = c.int_arg(0, "ID")
    async with c.session() as session:
        bot = await service.start(c.resources, session, c.owner, bot_id)
    await c.reply(f"Started {_title(bot)}.")


@command(
    "stopbot",
    description="Stop a bot (after you confirm)",
    usage="/stopbot ID",
    section=TRADING,
    account=True,
    min_args=1,
    max_args=1,
)
async def stopbot(c: CommandContext) -> None:
    bot_id = c.int_arg(0, "ID")
    async with c.session() as session:
        bot = await service.get(session, c.owner, bot_id)
    confirm = Button("Stop it", "stopbot", ("yes", str(bot.id)))
    cancel = Button("Cancel", "stopbot", ("no", str(bot.id)))
    await c.reply(f"Stop {_title(bot)} ({_status(bot)})?", buttons=[[confirm, cancel]])


@button("stopbot", account=True)
async def stopbot_confirmed(c: ButtonContext) -> None:
    """The confirmation's answer; the bot id comes from the button and is checked again."""
    answer, bot_id = [*c.args, "", ""][:2]
    if not bot_id.isdigit() or answer not in ("yes", "no"):
        await c.edit("That button is not one of mine any more.")
        return
    async with c.session() as session:
        if answer == "yes":
            bot = await service.stop(c.resources, session, c.owner, int(bot_id))
            await c.edit(f"Stopped {_title(bot)}.")
        else:
            bot = await service.get(session, c.owner, int(bot_id))
            await c.edit(f"Left {_title(bot)} as it was.")


async def account_line(c: CommandContext, session: AsyncSession, bot: BotConfig) -> str:
    """The bot's account in one line; what stopped us reading it, when something did."""
    try:
        found = await balance.account(c.resources, session, c.owner, bot.id)
    except DomainError as exc:
        return f"#{bot.id} {bot.name}: {exc.detail}"
    kind = "simulated" if found.simulated else f"{found.mode} exchange account"
    assets = ", ".join(f"{decimal_text(v)} {a}" for a, v in found.assets.items()) or "empty"
    return f"#{bot.id} {bot.name} ({kind}): {assets}"


@command(
    "balance",
    description="What a bot's account holds (every bot's without an ID)",
    usage="/balance [ID]",
    section=TRADING,
    account=True,
    max_args=1,
)
async def balance_(c: CommandContext) -> None:
    bot_id = c.int_arg(0, "ID") if c.args else None
    async with c.session() as session:
        if bot_id is not None:
            bots = [await service.get(session, c.owner, bot_id)]
        else:
            bots = list(await service.list_bots(session, c.owner))
        lines = [await account_line(c, session, bot) for bot in bots]
    await c.reply("\n".join(lines) or NO_BOTS)
