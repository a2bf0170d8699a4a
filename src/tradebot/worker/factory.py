"""The Celery application factory: Redis broker by default, RabbitMQ (amqp://) by URL.

Late acks with re-delivery on worker loss, prefetch 1, JSON only, results ignored, soft and
hard time limits per cycle. Bots are scheduled by the dispatcher (Beat, every second) and,
with SCHEDULER_MODE=chain, by each cycle enqueueing the next; see `tradebot.worker.tasks`.
Backtest jobs have their own queue (and limits), so bot cycles never wait behind them. The
market-data collector, the alarm evaluator and the notification sender (Beat,
`tradebot.worker.market_tasks`, `tradebot.worker.notify_tasks`) share the background queue,
so a slow collector run or a burst of notifications never holds up the dispatcher or a cycle.
"""

from __future__ import annotations

from celery import Celery

from tradebot.config import Settings

# Re-delivery of a message whose worker died comes after this many seconds (Redis broker);
# countdowns never exceed CHAIN_MAX_COUNTDOWN, which stays well below it.
VISIBILITY_TIMEOUT = 3600
BACKTEST_HARD_MARGIN = 30.0  # the hard limit after the soft one, which writes the failure
DISPATCH_TASK = "tradebot.dispatch_due_bots"
BACKTEST_TASK = "tradebot.run_backtest"
RECOVER_BACKTESTS_TASK = "tradebot.recover_backtests"
RECOVER_EVERY = 30.0  # seconds between sweeps for backtests whose worker died
COLLECT_TASK = "tradebot.collect_market_data"
ALARMS_TASK = "tradebot.evaluate_alarms"
NOTIFY_TASK = "tradebot.deliver_notifications"
# The scheduled tasks whose every-few-seconds Celery lines are kept quiet.
QUIET_TASKS = (DISPATCH_TASK, COLLECT_TASK, ALARMS_TASK, NOTIFY_TASK)
QUEUE_KINDS = ("cycles", "dispatch", "background", "backtests")


def make_celery(settings: Settings) -> Celery:
    app = Celery(
        "tradebot",
        broker=settings.broker_url,
        include=[
            "tradebot.worker.tasks",
            "tradebot.worker.market_tasks",
            "tradebot.worker.notify_tasks",
        ],
    )
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_soft_time_limit=settings.cycle_soft_time_limit,
        task_time_limit=settings.cycle_time_limit,
        broker_connection_retry_on_startup=True,
        # Redis broker keys live under the installation's prefix, like every other key.
        broker_transport_options={
            "visibility_timeout": VISIBILITY_TIMEOUT,
            "global_keyprefix": settings.redis_key_prefix,
        },
        worker_hijack_root_logger=False,
        worker_eta_task_limit=1000,
        timezone="UTC",
        enable_utc=True,
        beat_schedule_filename=str(settings.data_dir / "celerybeat-schedule"),
        beat_schedule={
            "dispatch-due-bots": {
                "task": DISPATCH_TASK,
                "schedule": settings.dispatch_interval,
                "options": {"expires": max(1.0, settings.dispatch_interval * 2)},
            },
            "recover-backtests": {
                "task": RECOVER_BACKTESTS_TASK,
                "schedule": RECOVER_EVERY,
                "options": {"expires": RECOVER_EVERY},
            },
            "collect-market-data": {
                "task": COLLECT_TASK,
                "schedule": settings.market_collect_interval,
                "options": {"expires": settings.market_collect_interval},
            },
            "evaluate-alarms": {
                "task": ALARMS_TASK,
                "schedule": settings.alarm_check_interval,
                "options": {"expires": settings.alarm_check_interval},
            },
            "deliver-notifications": {
                "task": NOTIFY_TASK,
                "schedule": settings.notify_interval,
                "options": {"expires": max(1.0, settings.notify_interval * 2)},
            },
        },
        task_routes={
            DISPATCH_TASK: {"queue": queue_name(settings, "dispatch")},
            RECOVER_BACKTESTS_TASK: {"queue": queue_name(settings, "dispatch")},
            COLLECT_TASK: {"queue": queue_name(settings, "background")},
            ALARMS_TASK: {"queue": queue_name(settings, "background")},
            NOTIFY_TASK: {"queue": queue_name(settings, "background")},
            BACKTEST_TASK: {"queue": queue_name(settings, "backtests")},
        },
        task_annotations={
            BACKTEST_TASK: {
                "soft_time_limit": settings.backtest_time_limit,
                "time_limit": settings.backtest_time_limit + BACKTEST_HARD_MARGIN,
            }
        },
        task_default_queue=queue_name(settings, "cycles"),
    )
    return app


def queue_name(settings: Settings, kind: str) -> str:
    """Queues carry the installation's prefix, so installations can share a broker."""
    return f"{settings.redis_key_prefix.rstrip(':')}.{kind}"


class TaskQueue:
    """What the API enqueues, on a Celery client made from the API's own settings."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._app: Celery | None = None

    def _celery(self) -> Celery:
        if self._app is None:
            self._app = make_celery(self._settings)
        return self._app

    def send_cycle(self, bot_id: int) -> None:
        """Run one cycle of `bot_id` now (start)."""
        self._celery().send_task("tradebot.run_bot_strategy_cycle", args=[bot_id])

    def send_backtest(self, backtest_id: int) -> None:
        """Run backtest job `backtest_id` (on the backtests queue)."""
        self._celery().send_task(BACKTEST_TASK, args=[backtest_id])
