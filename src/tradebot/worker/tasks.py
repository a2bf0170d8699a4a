"""Celery tasks: thin wrappers that take ids and call services."""

from __future__ import annotations

import logging

from tradebot.worker.celery_app import app

log = logging.getLogger(__name__)


@app.task(name="tradebot.ping")
def ping() -> str:
    """Round-trip check used by health tooling and tests."""
    return "pong"
