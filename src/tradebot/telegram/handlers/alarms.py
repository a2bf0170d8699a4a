"""/alarm, /alarms and /alarm_del: the same alarm service as /api/v1/alarms."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from pydantic import ValidationError

from tradebot.alarms import rules, service
from tradebot.alarms.schemas import AlarmIn
from tradebot.errors import InvalidInput, validation_errors
from tradebot.models import Alarm
from tradebot.schemas import decimal_text
from tradebot.telegram.context import CommandContext
from tradebot.telegram.registry import ALARMS, UsageError, command

USAGE = "/alarm SYMBOL price > X | price < X | rsi < 30 [tf] | rsi > 70 [tf] | cross ema [tf]"
_THRESHOLD = re.compile(r"(price|rsi)\s*([<>])\s*(\S+)(?:\s+(\S+))?", re.IGNORECASE)
_CROSS = re.compile(r"cross\s+ema(?:\s+(\S+))?", re.IGNORECASE)
KINDS = {("price", ">"): "price_above", ("price", "<"): "price_below"} | {
    ("rsi", ">"): "rsi_above",
    ("rsi", "<"): "rsi_below",
}


def parse(args: list[str]) -> AlarmIn:
    """`SYMBOL price > 65000`, `SYMBOL rsi < 30 4h`, `SYMBOL cross ema 15m` as an AlarmIn."""
    if len(args) < 2:
        raise UsageError
    symbol, rest = args[0], " ".join(args[1:])
    body: dict[str, object] = {"symbol": symbol}
    if match := _THRESHOLD.fullmatch(rest):
        what, op, level, timeframe = match.groups()
        try:
            body["threshold"] = Decimal(level.replace(",", ""))
        except InvalidOperation:
            raise UsageError(f"{level!r} is not a number.") from None
        body |= {"kind": KINDS[(what.lower(), op)], "timeframe": timeframe}
    elif match := _CROSS.fullmatch(rest):
        body |= {"kind": rules.CROSS, "timeframe": match.group(1)}
    else:
        raise UsageError("Say what to watch: price, rsi or cross ema.")
    if body.get("timeframe") is not None:
        body["timeframe"] = str(body["timeframe"]).lower()
    try:
        made = AlarmIn.model_validate(body)
        service.checked(made)
    except ValidationError as exc:
        first = validation_errors(exc.errors())[0]
        raise UsageError(f"{first['field']}: {first['reason']}") from None
    except InvalidInput as exc:
        raise UsageError(exc.detail) from None
    return made


def alarm_line(alarm: Alarm) -> str:
    line = f"#{alarm.id} {service.describe(alarm)}"
    if alarm.last_value is not None and alarm.kind != rules.CROSS:
        line += f" — now {decimal_text(alarm.last_value)}"
    if alarm.fired_count:
        times = "once" if alarm.fired_count == 1 else f"{alarm.fired_count} times"
        line += f", fired {times}"
    return line


@command(
    "alarm",
    description="Set an alarm on a price, an RSI level or the EMA cross",
    usage=USAGE,
    section=ALARMS,
    account=True,
    min_args=2,
    max_args=5,
)
async def alarm(c: CommandContext) -> None:
    body = parse(c.args)
    settings = c.resources.settings
    async with c.session() as session:
        made = await service.create(
            session,
            c.owner,
            body,
            default_source=settings.telegram_market,
            limit=settings.alarms_per_user,
        )
    every = f"{settings.alarm_check_interval:g}"
    await c.reply(
        f"Alarm #{made.id} set: {service.describe(made)}. I check it every {every} s and tell "
        "you each time it crosses. /alarms lists yours."
    )


@command("alarms", description="Your alarms", section=ALARMS, account=True)
async def alarms(c: CommandContext) -> None:
    async with c.session() as session:
        found = await service.list_alarms(session, c.owner)
    if not found:
        await c.reply(f"No alarms. Set one with {USAGE.split(' |')[0]}")
        return
    await c.reply("\n".join(alarm_line(a) for a in found))


@command(
    "alarm_del",
    description="Delete an alarm",
    usage="/alarm_del ID",
    aliases=("alarm_delete",),
    section=ALARMS,
    account=True,
    min_args=1,
    max_args=1,
)
async def alarm_del(c: CommandContext) -> None:
    alarm_id = c.int_arg(0, "ID")
    async with c.session() as session:
        await service.delete(session, c.owner, alarm_id)
    await c.reply(f"Alarm #{alarm_id} deleted.")
