from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tradebot.backtest.data import (
    CandleDataError,
    candles_to_frame,
    demo_candles,
    download_candles,
    load_file,
    parse_time,
)
from tradebot.exchange.demo_market import DemoMarket

START = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture
def frame() -> pd.DataFrame:
    return candles_to_frame(demo_candles("ETH/USDT", "1h", START, bars=50))


def test_csv_with_epoch_ms(tmp_path: Path, frame: pd.DataFrame) -> None:
    path = tmp_path / "c.csv"
    frame.to_csv(path, index=False)
    candles = load_file(path)
    assert len(candles) == 50
    assert candles.open_time[0] == int(START.timestamp() * 1000)
    np.testing.assert_array_equal(candles.close, frame.close.to_numpy())


def test_csv_with_iso_times_any_case_and_unsorted(tmp_path: Path, frame: pd.DataFrame) -> None:
    iso = frame.copy()
    iso["timestamp"] = pd.to_datetime(iso.timestamp, unit="ms", utc=True).map(
        lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    iso = iso.rename(columns=str.upper).iloc[::-1]
    path = tmp_path / "iso.csv"
    iso.to_csv(path, index=False)
    candles = load_file(path)
    assert candles.open_time[0] == int(START.timestamp() * 1000)
    assert (np.diff(candles.open_time) == 3_600_000).all()


def test_parquet_and_seconds(tmp_path: Path, frame: pd.DataFrame) -> None:
    seconds = frame.assign(timestamp=frame.timestamp // 1000)
    path = tmp_path / "c.parquet"
    seconds.to_parquet(path)
    assert load_file(path).open_time[1] == int(START.timestamp() * 1000) + 3_600_000


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("timestamp,open,high,close\n1,2,3,4\n", "missing column(s) low"),
        ("when,open,high,low,close\n1,2,3,1,2\n", "missing column(s) timestamp"),
        ("timestamp,open,high,low,close\n1,2,x,1,2\n", "column high has empty or non-numeric"),
        ("timestamp,open,high,low,close\nnot-a-date,2,3,1,2\n", "epoch ms or ISO"),
        ("timestamp,open,high,low,close\n1,2,1,3,2\n", "high >= low"),
        ("timestamp,open,high,low,close\n", "no candles"),
    ],
)
def test_bad_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(CandleDataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_file(path)


def test_missing_file() -> None:
    with pytest.raises(CandleDataError, match="file not found"):
        load_file(Path("/nonexistent/candles.csv"))


def test_parse_time() -> None:
    assert parse_time("2024-01-01") == START
    assert parse_time("2024-01-01T00:00:00Z") == START
    assert parse_time("1704067200000") == START
    with pytest.raises(CandleDataError):
        parse_time("yesterday")


class FakeBinance:
    """Serves demo candles the way ccxt's fetch_ohlcv pages them (at most `limit`)."""

    def __init__(self) -> None:
        self.market = DemoMarket(seed=2)
        self.calls: list[int] = []

    def fetch_ohlcv(
        self, symbol: str, timeframe: str, since: int | None = None, limit: int | None = None
    ) -> list[list[float]]:
        assert since is not None and limit is not None
        self.calls.append(since)
        c = self.market.candles_count(symbol, timeframe, since, min(limit, 1000))
        return [
            [int(t), o, h, lo, cl, v]
            for t, o, h, lo, cl, v in zip(
                c.open_time, c.open, c.high, c.low, c.close, c.volume, strict=True
            )
        ]


def test_download_pages_and_caches(tmp_path: Path) -> None:
    fake = FakeBinance()
    end = START + timedelta(minutes=2500)
    now = int((START + timedelta(days=30)).timestamp() * 1000)
    first = download_candles(
        "BTC/USDT", "1m", START, end, tmp_path, exchange=lambda: fake, now_ms=now
    )
    assert len(first) == 2500 and len(fake.calls) == 3  # 1000 + 1000 + 500
    expected = fake.market.candles_count("BTC/USDT", "1m", START, 2500)
    np.testing.assert_array_equal(first.close, expected.close)
    assert (tmp_path / "binance_BTC-USDT_1m.parquet").exists()
    # a covered range comes from the cache; a longer one fetches only the missing tail
    fake.calls.clear()
    again = download_candles(
        "BTC/USDT",
        "1m",
        START,
        START + timedelta(minutes=100),
        tmp_path,
        exchange=lambda: fake,
        now_ms=now,
    )
    assert len(again) == 100 and fake.calls == []
    more = download_candles(
        "BTC/USDT",
        "1m",
        START,
        START + timedelta(minutes=2600),
        tmp_path,
        exchange=lambda: fake,
        now_ms=now,
    )
    assert len(more) == 2600 and fake.calls == [int(end.timestamp() * 1000)]


def test_download_keeps_only_closed_candles(tmp_path: Path) -> None:
    now = int((START + timedelta(minutes=30, seconds=20)).timestamp() * 1000)
    candles = download_candles(
        "BTC/USDT",
        "1m",
        START,
        START + timedelta(hours=1),
        tmp_path,
        exchange=FakeBinance,
        now_ms=now,
    )
    assert len(candles) == 30
