"""The market-data collector as a Celery task (Beat, every MARKET_COLLECT_SECONDS).

Thin like the other tasks: this process's engine context, one collector run. A run that
finds the exchange busy or unreachable leaves the cache as it was and the next run tries
again; a queued run older than one interval is dropped (`expires`), never stacked.
"""

from __future__ import annotations

from tradebot.market_data.collector import collect
from tradebot.worker import runtime
from tradebot.worker.celery_app import app
from tradebot.worker.factory import COLLECT_TASK


@app.task(name=COLLECT_TASK, ignore_result=True)
def collect_market_data() -> int:
    """Refresh the watched markets in the shared cache; returns how many were watched."""
    return runtime.run(collect(runtime.context())).markets
