"""The Celery application: Redis broker by default, RabbitMQ (amqp://) by URL."""

from __future__ import annotations

from celery import Celery

from tradebot.config import Settings, get_settings


def make_celery(settings: Settings) -> Celery:
    app = Celery("tradebot", broker=settings.broker_url, include=["tradebot.worker.tasks"])
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        timezone="UTC",
        enable_utc=True,
        beat_schedule_filename=str(settings.data_dir / "celerybeat-schedule"),
    )
    return app


app = make_celery(get_settings())
