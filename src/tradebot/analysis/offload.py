"""Chart drawing in a separate process, so the event loop never waits on matplotlib.

Measured here (bench/telegram_ta.py prints the figures): one chart takes about 0.35 s of
CPU. Drawn in a thread it holds the GIL for most of that, and the loop's other work (every
other chat's reply) stalls by up to hundreds of milliseconds; in a worker process the loop
stays responsive. `/ta`'s indicators take about 0.1 ms, less than a hop to a thread, so they
run inline (see `analysis.service`).
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial

from tradebot.analysis.chart import render_chart
from tradebot.core.candles import Candles
from tradebot.core.config import StrategyConfig


class ChartWorkers:
    """A small pool of chart-drawing processes, started on the first chart."""

    def __init__(self, processes: int = 1) -> None:
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: a fresh interpreter, never a fork of a process with threads and a loop
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(self.processes, mp_context=context)
        return self._pool

    async def render(self, candles: Candles, *, title: str, config: StrategyConfig) -> bytes:
        """The PNG of `analysis.chart.render_chart`, drawn in a worker process."""
        job = partial(render_chart, candles, title=title, config=config)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor(), job)
        except BrokenProcessPool:
            # A worker died (killed, out of memory): start a fresh pool and try once more.
            self.close()
            return await loop.run_in_executor(self._executor(), job)

    def close(self) -> None:
        """Stop the worker processes (pending charts are cancelled)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


_process_workers: ChartWorkers | None = None


def process_workers() -> ChartWorkers:
    """This process's chart workers: one pool per process, like its event loop, started on
    the first chart (the pool stops its processes when the interpreter exits)."""
    global _process_workers
    if _process_workers is None:
        _process_workers = ChartWorkers()
    return _process_workers
