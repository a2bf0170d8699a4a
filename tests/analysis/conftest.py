"""Fixtures: the fake Binance without a set price (the suite's `engine` uses it), and one
chart process for the run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.binance import FakeBinance
from tradebot.analysis.offload import ChartWorkers


@pytest.fixture
def fake() -> Iterator[FakeBinance]:
    with FakeBinance() as server:
        yield server


@pytest.fixture(scope="session")
def chart_workers() -> Iterator[ChartWorkers]:
    """One chart process for the whole run (starting one costs about a second)."""
    workers = ChartWorkers()
    yield workers
    workers.close()
