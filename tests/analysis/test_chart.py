"""`/chart`: a small PNG of the candles, both EMAs and RSI, drawn off the event loop."""

from __future__ import annotations

import asyncio
import io

from PIL import Image

from tests.core.helpers import make_candles
from tradebot.analysis.chart import render_chart
from tradebot.analysis.offload import ChartWorkers
from tradebot.analysis.ta import default_strategy
from tradebot.exchange.demo_market import DemoMarket

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _decoded(png: bytes) -> Image.Image:
    assert png.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(png))
    image.load()  # decodes every byte: a truncated file fails here
    return image


def test_chart_is_a_small_png_of_fixed_size() -> None:
    candles = DemoMarket(seed=3).candles_count("ETH/USDT", "15m", 1_780_000_000_000, 299)
    png = render_chart(candles, title="ETH/USDT · 15m · demo", config=default_strategy())
    image = _decoded(png)
    assert image.format == "PNG" and image.size == (800, 500)
    assert 10_000 < len(png) < 150_000


def test_few_or_flat_candles_still_draw() -> None:
    for closes in ([100.0], [100.0] * 30):
        png = render_chart(make_candles(closes), title="flat", config=default_strategy())
        assert _decoded(png).size == (800, 500)


async def test_workers_draw_in_another_process_while_the_loop_runs(
    chart_workers: ChartWorkers,
) -> None:
    candles = DemoMarket().candles_count("BTC/USDT", "1h", 1_780_000_000_000, 299)
    await chart_workers.render(candles, title="warm-up", config=default_strategy())
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    png = await chart_workers.render(candles, title="BTC/USDT", config=default_strategy())
    ticker.cancel()
    assert _decoded(png).size == (800, 500)
    # The loop kept turning while the chart was drawn (inline, it could not tick at all).
    assert ticks >= 3
