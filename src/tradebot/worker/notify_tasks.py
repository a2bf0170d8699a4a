"""The alarm evaluator and the notification sender as Celery tasks (Beat).

- `evaluate_alarms` (every ALARM_CHECK_SECONDS): every alarm checked once against the
  shared market-data cache (`alarms.evaluate`).
- `deliver_notifications` (every NOTIFY_INTERVAL_SECONDS): the outbox sent to linked chats
  (`notifications.delivery`), by one sender at a time, for a few seconds per run; without
  TELEGRAM_BOT_TOKEN there is no bot to send with and the run does nothing.
"""

from __future__ import annotations

from typing import Any

from celery.signals import worker_process_shutdown
from telegram.ext import ExtBot

from tradebot.alarms.evaluate import evaluate
from tradebot.notifications.delivery import DeliveryReport, deliver
from tradebot.telegram.client import make_bot
from tradebot.worker import runtime
from tradebot.worker.celery_app import app
from tradebot.worker.factory import ALARMS_TASK, NOTIFY_TASK

RUN_BUDGET = 10.0  # seconds one sender run may take before the next run goes on
_bot: ExtBot[int] | None = None


async def _the_bot() -> ExtBot[int] | None:
    """This process's bot (made and initialised once), None without a token."""
    global _bot
    settings = runtime.context().settings
    if settings.telegram_bot_token is None:
        return None
    if _bot is None:
        bot = make_bot(settings)
        await bot.initialize()
        _bot = bot
    return _bot


async def _deliver() -> DeliveryReport:
    bot = await _the_bot()
    if bot is None:
        return DeliveryReport()
    ctx = runtime.context()
    return await deliver(ctx.engine, ctx.sessions, bot, ctx.settings, budget=RUN_BUDGET)


@worker_process_shutdown.connect
def _close_bot(**_: Any) -> None:
    global _bot
    if _bot is not None:
        bot, _bot = _bot, None
        runtime.run(bot.shutdown())


@app.task(name=ALARMS_TASK, ignore_result=True)
def evaluate_alarms() -> int:
    """Check every alarm; returns how many fired."""
    return runtime.run(evaluate(runtime.context())).fired


@app.task(name=NOTIFY_TASK, ignore_result=True)
def deliver_notifications() -> int:
    """Send the due notifications; returns how many were sent."""
    return runtime.run(_deliver()).sent
