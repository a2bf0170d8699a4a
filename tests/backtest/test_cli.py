import csv
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tradebot.backtest.cli import backtest
from tradebot.backtest.data import candles_to_frame, demo_candles

app = typer.Typer()
app.command()(backtest)
runner = CliRunner()


@pytest.fixture
def candles_csv(tmp_path: Path) -> Path:
    candles = demo_candles("ETH/USDT", "15m", datetime(2024, 2, 1, tzinfo=UTC), bars=3000)
    path = tmp_path / "eth.csv"
    candles_to_frame(candles).to_csv(path, index=False)
    return path


@pytest.fixture
def config_json(tmp_path: Path) -> Path:
    path = tmp_path / "bot.json"
    path.write_text(
        json.dumps(
            {
                "name": "my bot",
                "symbol": "ETH/USDT",
                "timeframe": "15m",
                "ema_fast": 9,
                "ema_slow": 21,
                "rsi_period": 14,
                "rsi_oversold": 30,
                "rsi_overbought": 70,
                "stop_loss_perc": "1.5",
                "take_profit_perc": "3",
                "trailing_stop_perc": "1",
                "trailing_stop_active": True,
                "position_size_perc": "50",
            }
        )
    )
    return path


def _check_outputs(out: Path, expected_trades: int | None = None) -> None:
    with (out / "trades.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows and set(rows[0]) >= {"entry_time", "exit_time", "pnl", "exit_reason"}
    if expected_trades is not None:
        assert len(rows) == expected_trades
    report = (out / "report.html").read_text()
    assert report.startswith("<!doctype html>") and "<script src" not in report
    assert "http://" not in report and "https://" not in report  # self-contained
    static = report[: report.index("<script")]  # what a reader without scripts sees
    svgs = static.count("<svg")
    assert svgs == 2
    start = static.index("<svg")
    ET.fromstring(static[start : static.index("</svg>", start) + 6])  # noqa: S314 - our own output
    assert static.count('class="buy"') == len(rows)
    # the zoomable charts' data: every candle (these runs are short), every trade's markers
    raw = report[report.index('id="bt-data">') + 13 : report.index("</script>")]
    data = json.loads(raw)
    assert len(data["t"]) == len(data["lo"]) == len(data["eq"]) > 1
    assert len(data["m"]) == 2 * len(rows)


def test_cli_on_csv_with_config_file(candles_csv: Path, config_json: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "--config",
            str(config_json),
            "--csv",
            str(candles_csv),
            "--out",
            str(out),
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Backtest: eth.csv" in result.output
    assert "trailing 1%" in result.output
    trades = int(result.output.split("trades        ")[1].split()[0])
    _check_outputs(out, trades)


def test_cli_on_demo_market_with_options(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = runner.invoke(
        app,
        [
            "--demo", "BTC/USDT", "--timeframe", "5m", "--start", "2024-05-01", "--bars", "4000",
            "--ema-fast", "12", "--ema-slow", "26", "--stop-loss", "1", "--take-profit", "2",
            "--fee", "0.075", "--slippage-bps", "2", "--balance", "2500", "--out", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "demo BTC/USDT 5m" in result.output and "EMA 12/26" in result.output
    assert "2,500.00 ->" in result.output
    _check_outputs(out)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--csv", "/nonexistent.csv"], "error: file not found: /nonexistent.csv"),
        (["--demo", "BTC/USDT", "--ema-fast", "30"], "error: ema_slow (21) must be greater"),
        (["--demo", "BTC/USDT", "--stop-loss", "0"], "error: stop_loss_perc must be in (0, 100)"),
        ([], "error: give exactly one of --csv, --parquet, --demo SYMBOL, --download SYMBOL"),
        (["--demo", "BTCUSDT"], "error: symbol must look like BASE/QUOTE"),
        (["--demo", "BTC/USDT", "--timeframe", "7x"], "error: unknown timeframe '7x'"),
        (["--demo", "BTC/USDT", "--start", "someday"], "error: not a date or time: 'someday'"),
        (["--demo", "BTC/USDT", "--fee", "-1"], "error: fee rate must be in [0, 1)"),
        (["--config", "/nonexistent.json", "--demo", "BTC/USDT"], "error: config file not found"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message)
    assert "Traceback" not in result.output


def test_bad_columns_and_bad_json(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("time,open,close\n1,2,3\n")
    result = runner.invoke(app, ["--csv", str(bad)])
    assert result.exit_code == 2 and "missing column(s) high, low" in result.output
    cfg = tmp_path / "cfg.json"
    cfg.write_text("{not json")
    result = runner.invoke(app, ["--config", str(cfg), "--csv", str(bad)])
    assert result.exit_code == 2 and "is not valid JSON" in result.output
