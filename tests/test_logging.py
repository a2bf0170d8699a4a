"""Structured logs: JSON in production, console lines in dev, context on every line of a
cycle and a request, secrets masked wherever they are (message, traceback, context)."""

from __future__ import annotations

import json
import logging
import sys
from decimal import Decimal

import httpx
import structlog

from tests.conftest import Api
from tests.engine.scripted import ScriptedSource, golden_cross_closes
from tradebot.engine.context import EngineContext
from tradebot.engine.runner import run_batch
from tradebot.logging_setup import RedactingFilter, bind, formatter

SECRET = "sk-live-0123456789abcdef"


def _record(msg: str, *args: object, exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise RuntimeError(f"api_key={SECRET} refused")
        except RuntimeError:
            exc_info = sys.exc_info()
    return logging.LogRecord("tradebot.test", logging.ERROR, __file__, 1, msg, args, exc_info)


def _render(record: logging.LogRecord, *, json_lines: bool) -> str:
    RedactingFilter().filter(record)
    return formatter(json=json_lines).format(record)


def test_json_lines_carry_context_and_no_secret() -> None:
    with bind(bot_id=7, user_id=3, cycle="tok", note=f"password={SECRET}"):
        line = _render(_record("order with secret=%s", SECRET, exc=True), json_lines=True)
    event = json.loads(line)
    assert event["bot_id"] == 7 and event["user_id"] == 3 and event["cycle"] == "tok"
    assert event["level"] == "error" and event["logger"] == "tradebot.test"
    assert "timestamp" in event and "RuntimeError" in event["exception"]
    assert SECRET not in line and "secret=***" in event["event"]


def test_console_lines_are_readable() -> None:
    with bind(request_id="abc"):
        line = _render(_record("hello %s", "there"), json_lines=False)
    assert "hello there" in line and "request_id=abc" in line and "[tradebot.test]" in line


async def test_a_request_id_on_the_response_and_its_lines(client: httpx.AsyncClient) -> None:
    given = await client.get("/health", headers={"X-Request-ID": "from-the-proxy-1"})
    assert given.headers["x-request-id"] == "from-the-proxy-1"
    made = await client.get("/health", headers={"X-Request-ID": "no spaces allowed\\n"})
    assert len(made.headers["x-request-id"]) == 32


async def test_cycle_lines_name_the_bot_user_and_lease(alice: Api, engine: EngineContext) -> None:
    closes = golden_cross_closes()
    engine.exchanges.demo = ScriptedSource(closes, Decimal(str(closes[-1])))  # type: ignore[assignment]
    bot = await alice.create_bot(symbol="TSTA/USDT", timeframe="1m", initial_capital="1000")
    await alice.request("POST", f"/bots/{bot['id']}/start")
    seen: list[dict[str, object]] = []

    class Context(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.name == "tradebot.engine.runner":
                seen.append(dict(structlog.contextvars.get_contextvars()))

    handler = Context()
    logging.getLogger().addHandler(handler)
    try:
        await run_batch(engine, [int(bot["id"])], token="lease-token-1")
    finally:
        logging.getLogger().removeHandler(handler)
    assert seen, "the cycle logged nothing"
    assert all(
        c == {"bot_id": bot["id"], "user_id": alice.user_id, "cycle": "lease-token-1"} for c in seen
    )
