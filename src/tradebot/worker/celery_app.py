"""The worker's Celery application, configured from this process's settings."""

from __future__ import annotations

from tradebot.config import get_settings
from tradebot.worker.factory import make_celery

app = make_celery(get_settings())
