"""Fixtures: an engine context on the test database and Redis, its exchange the fake Binance."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.engine.conftest import engine_settings
from tests.fakes.binance import FakeBinance
from tradebot.analysis.offload import ChartWorkers
from tradebot.config import Settings
from tradebot.context import AppContext
from tradebot.engine.context import EngineContext


@pytest.fixture
def fake() -> Iterator[FakeBinance]:
    with FakeBinance() as server:
        yield server


@pytest.fixture
async def engine(
    ctx: AppContext, settings: Settings, fake: FakeBinance, tmp_path: Any
) -> AsyncIterator[EngineContext]:
    ectx = EngineContext.create(engine_settings(settings, tmp_path, BINANCE_BASE_URL=fake.url))
    yield ectx
    await ectx.close()


@pytest.fixture(scope="session")
def chart_workers() -> Iterator[ChartWorkers]:
    """One chart process for the whole run (starting one costs about a second)."""
    workers = ChartWorkers()
    yield workers
    workers.close()
