"""What an exchange supports and what its requests cost, as data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Weights:
    """Request weight per endpoint, counted against the exchange's per-minute budget."""

    exchange_info: int = 20
    klines: int = 2  # up to 1,000 candles
    ticker: int = 2  # 24h ticker for one symbol
    prices: int = 4  # the last price of every symbol
    account: int = 20
    order: int = 1
    query_order: int = 4
    my_trades: int = 5  # with orderId; 20 without
    funding_rate: int = 1  # USDⓈ-M premiumIndex for one symbol
    open_interest: int = 1  # USDⓈ-M openInterest


@dataclass(frozen=True)
class Capabilities:
    """Features and limits of one exchange, so callers never test the exchange's name."""

    name: str
    quote_order_qty: bool  # market orders may be sized in quote currency
    client_order_id_max_len: int
    client_order_id_chars: str  # allowed characters, as a regex class body
    max_candles_per_request: int
    weight_per_minute: int  # request-weight budget per IP
    weights: Weights = Weights()
    fee_rate: str = "0.001"  # default taker fee, as a decimal string
    simulated: bool = False  # fills are simulated (paper/demo), not real orders


BINANCE_SPOT = Capabilities(
    name="binance",
    quote_order_qty=True,
    client_order_id_max_len=36,
    client_order_id_chars=r"\.A-Z:/a-z0-9_-",
    max_candles_per_request=1000,
    weight_per_minute=6000,
)

# Public market data of Binance's USDⓈ-M perpetuals (fapi): its own host and budget.
BINANCE_USDM = Capabilities(
    name="binanceusdm",
    quote_order_qty=False,
    client_order_id_max_len=36,
    client_order_id_chars=r"\.A-Z:/a-z0-9_-",
    max_candles_per_request=1500,
    weight_per_minute=2400,
    weights=Weights(exchange_info=1),
)
