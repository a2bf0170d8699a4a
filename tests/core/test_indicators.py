import math

import numpy as np
import pytest

from tradebot.core import indicators as ind


def test_ema_seeded_with_sma_then_recursive() -> None:
    out = ind.ema([2.0, 4.0, 6.0, 8.0, 12.0], 3)
    assert np.isnan(out[:2]).all()
    # seed (2+4+6)/3 = 4; k = 2/(3+1) = 0.5: 4 + 0.5*(8-4) = 6; 6 + 0.5*(12-6) = 9
    assert out[2:].tolist() == [4.0, 6.0, 9.0]


def test_rsi_wilder_pinned() -> None:
    out = ind.rsi([1.0, 2.0, 3.0, 2.0, 3.0, 4.0, 3.0, 5.0], 3)
    assert np.isnan(out[:3]).all()
    # first 3 changes +1 +1 -1: avg gain 2/3, avg loss 1/3 -> RS 2 -> 66.67
    # then Wilder: g = (g*2 + gain)/3, l = (l*2 + loss)/3
    expected = [200 / 3, 700 / 9, 2300 / 27, 4600 / 81, 25400 / 324]
    assert out[3:] == pytest.approx(expected, rel=1e-12)


def test_rsi_extremes() -> None:
    assert ind.rsi(np.arange(1.0, 7.0), 2)[2:].tolist() == [100.0] * 4
    assert ind.rsi(np.ones(6), 2)[2:].tolist() == [0.0] * 4


def test_bollinger_atr_stochastic_pinned() -> None:
    bands = ind.bollinger([1.0, 2.0, 3.0], period=3, deviations=2.0)
    spread = 2 * math.sqrt(2 / 3)  # population standard deviation
    assert bands.middle[2] == pytest.approx(2.0)
    assert bands.upper[2] == pytest.approx(2 + spread)
    assert bands.lower[2] == pytest.approx(2 - spread)

    high, low, close = [3.0, 5.0, 5.0, 9.0], [1.0, 2.0, 4.0, 6.0], [2.0, 4.0, 4.5, 8.0]
    # true ranges 3, 1, 4.5: first ATR = mean(3, 1) = 2, then (2*1 + 4.5)/2 = 3.25
    assert ind.atr(high, low, close, 2)[2:].tolist() == pytest.approx([2.0, 3.25])

    k, d = ind.stochastic(
        [3.0, 4, 5, 6, 7], [1.0, 2, 3, 4, 5], [2.0, 3, 4, 5, 6], k_period=3, k_smooth=1, d_period=1
    )
    # highest high 7, lowest low 3 over the last 3 candles, close 6 -> 75
    assert k[-1] == pytest.approx(75.0)
    assert d[-1] == pytest.approx(75.0)


def test_macd_parts_agree() -> None:
    x = np.linspace(1, 50, 120) ** 1.3
    m = ind.macd(x, 12, 26, 9)
    valid = ~np.isnan(m.histogram)
    assert valid.sum() == 120 - (26 - 1) - (9 - 1)
    np.testing.assert_allclose(m.histogram[valid], (m.macd - m.signal)[valid])
    # far from the seed the MACD line is the difference of the two EMAs
    diff = ind.ema(x, 12) - ind.ema(x, 26)
    assert m.macd[-1] == pytest.approx(diff[-1], rel=1e-6)


def test_periods_are_checked() -> None:
    with pytest.raises(ValueError, match="period"):
        ind.ema([1.0, 2.0], 1)


@pytest.mark.parametrize("period", [2, 9, 21])
def test_streaming_matches_batch_on_same_window(period: int) -> None:
    rng = np.random.default_rng(period)
    closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 400)))
    window = closes[57:]  # a window not starting at the series start
    stream_ema, stream_rsi = ind.StreamingEma(period), ind.StreamingRsi(period)
    incremental_ema = [stream_ema.update(float(x)) for x in window]
    incremental_rsi = [stream_rsi.update(float(x)) for x in window]
    np.testing.assert_allclose(incremental_ema, ind.ema(window, period), rtol=1e-10)
    np.testing.assert_allclose(incremental_rsi, ind.rsi(window, period), rtol=1e-9)
