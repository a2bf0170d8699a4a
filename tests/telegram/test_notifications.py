"""Notifications: written with the events they tell of, sent to the linked chat through the
rate-limited bot, once each — switches read at send time, blocked chats given up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy import select, update
from telegram.ext import ExtBot

from tests.conftest import Api
from tests.engine.conftest import make_due
from tests.engine.scripted import ScriptedSource, golden_cross_closes
from tests.fakes.telegram_api import FakeBotApi
from tests.telegram.conftest import link_chat
from tradebot.config import Settings
from tradebot.context import AppContext
from tradebot.db import transaction
from tradebot.engine import persist
from tradebot.engine.context import EngineContext
from tradebot.engine.runner import run_batch
from tradebot.models import Notification
from tradebot.notifications.delivery import DeliveryReport, deliver
from tradebot.notifications.outbox import enqueue
from tradebot.telegram.client import make_bot

CHAT = 4242


@pytest.fixture
async def bot(bot_settings: Settings) -> AsyncIterator[ExtBot[int]]:
    async with make_bot(bot_settings) as made:
        yield made


async def _deliver(ctx: AppContext, bot: ExtBot[int], settings: Settings) -> DeliveryReport:
    return await deliver(ctx.engine, ctx.sessions, bot, settings, budget=10)


async def _rows(ctx: AppContext) -> list[Notification]:
    async with ctx.sessions() as s:
        return list((await s.execute(select(Notification).order_by(Notification.id))).scalars())


@pytest.fixture
def scripted(engine: EngineContext) -> ScriptedSource:
    closes = golden_cross_closes()
    source = ScriptedSource(closes, Decimal(str(closes[-1])))
    engine.exchanges.demo = source  # type: ignore[assignment]
    return source


async def test_a_trade_and_a_daily_limit_stop_reach_the_chat(
    alice: Api,
    ctx: AppContext,
    engine: EngineContext,
    scripted: ScriptedSource,
    bot_api: FakeBotApi,
    bot: ExtBot[int],
    bot_settings: Settings,
) -> None:
    await link_chat(ctx, alice.user_id, CHAT)
    made = await alice.create_bot(
        name="Swing",
        symbol="TSTC/USDT",
        timeframe="1m",
        initial_capital="1000",
        position_size_perc="100",
        max_daily_loss_perc="0.5",
        stop_loss_perc="10",
    )
    bot_id = made["id"]
    await alice.request("POST", f"/bots/{bot_id}/start")
    await run_batch(engine, [bot_id])
    report = await _deliver(ctx, bot, bot_settings)
    assert report.sent == 1
    [buy] = bot_api.sent(CHAT)
    assert buy.text.startswith(f"#{bot_id} Swing: BUY ") and buy.text.endswith("(golden cross)")
    assert " TSTC/USDT at " in buy.text
    async with ctx.sessions() as s:
        entry = (await s.get(persist.BotState, bot_id)).entry_price  # type: ignore[union-attr]
    scripted.price = (entry * Decimal("0.99")).quantize(Decimal("0.01"))
    await make_due(ctx, bot_id)
    await run_batch(engine, [bot_id])
    assert (await _deliver(ctx, bot, bot_settings)).sent == 2
    sell, stop = (c.text for c in bot_api.sent(CHAT)[1:])
    assert sell.startswith(f"#{bot_id} Swing: SELL ") and ", P&L -" in sell
    assert stop == f"#{bot_id} Swing stopped: the daily loss limit was reached."
    assert (await _deliver(ctx, bot, bot_settings)).handled == 0  # nothing twice


async def test_manual_stop_and_errors(
    alice: Api, ctx: AppContext, bot_api: FakeBotApi, bot: ExtBot[int], bot_settings: Settings
) -> None:
    await link_chat(ctx, alice.user_id, CHAT)
    made = await alice.create_bot(name="Grid")
    bot_id = made["id"]
    await alice.request("POST", f"/bots/{bot_id}/start")
    await alice.request("POST", f"/bots/{bot_id}/stop")
    await alice.request("POST", f"/bots/{bot_id}/stop")  # already stopped: nothing more
    async with transaction(ctx.sessions) as s:
        await s.execute(update(persist.BotState).values(lease_token="t"))
    async with transaction(ctx.sessions) as s:
        for attempt in (1, 2):  # a run of temporary errors is told once
            await persist.release_for_retry(
                s,
                bot_id,
                alice.user_id,
                "t",
                "TemporaryError: Binance is busy",
                attempt=attempt,
                count=True,
                wait=1,
                name="Grid",
            )
            await s.execute(update(persist.BotState).values(lease_token="t"))
        await persist.record_error(
            s, bot_id, alice.user_id, "t", "AuthError: the key was refused", attempt=3, name="Grid"
        )
    assert (await _deliver(ctx, bot, bot_settings)).sent == 3
    assert [c.text for c in bot_api.sent(CHAT)] == [
        f"#{bot_id} Grid stopped: stopped by hand.",
        f"#{bot_id} Grid hit an error (attempt 1; it retries): TemporaryError: Binance is busy",
        f"#{bot_id} Grid stopped: an error: AuthError: the key was refused",
    ]


async def test_one_message_per_event_and_none_without_a_chat(
    alice: Api,
    bob: Api,
    ctx: AppContext,
    bot_api: FakeBotApi,
    bot: ExtBot[int],
    bot_settings: Settings,
) -> None:
    await link_chat(ctx, alice.user_id, CHAT)
    async with transaction(ctx.sessions) as s:
        for _ in range(3):
            await enqueue(s, alice.user_id, "alarm", "alarm:1:1", "BTC above 1")
        await enqueue(s, bob.user_id, "alarm", "alarm:2:1", "bob has no chat")
    assert len(await _rows(ctx)) == 1
    assert (await _deliver(ctx, bot, bot_settings)).sent == 1
    assert [c.text for c in bot_api.sent()] == ["BTC above 1"]


async def test_switches_and_links_are_read_at_send_time(
    alice: Api,
    bob: Api,
    ctx: AppContext,
    bot_api: FakeBotApi,
    bot: ExtBot[int],
    bot_settings: Settings,
) -> None:
    await link_chat(ctx, alice.user_id, CHAT)
    await link_chat(ctx, bob.user_id, CHAT + 1)
    async with transaction(ctx.sessions) as s:
        await enqueue(s, alice.user_id, "trade", "trade:a", "alice's trade")
        await enqueue(s, alice.user_id, "alarm", "alarm:a", "alice's alarm")
        await enqueue(s, bob.user_id, "trade", "trade:b", "bob's trade")
    # Switched off, and unlinked, after the events were written.
    assert (await alice.request("PATCH", "/telegram", json={"trade": False})).status_code == 200
    assert (await bob.request("DELETE", "/telegram")).status_code == 204
    report = await _deliver(ctx, bot, bot_settings)
    assert (report.sent, report.skipped) == (1, 2)
    assert [c.text for c in bot_api.sent()] == ["alice's alarm"]
    assert sorted(r.outcome or "" for r in await _rows(ctx)) == ["sent", "skipped", "skipped"]


async def test_a_blocked_chat_is_given_up_and_a_busy_api_retried(
    alice: Api,
    bob: Api,
    ctx: AppContext,
    bot_api: FakeBotApi,
    bot: ExtBot[int],
    bot_settings: Settings,
) -> None:
    await link_chat(ctx, alice.user_id, CHAT)
    await link_chat(ctx, bob.user_id, CHAT + 1)
    bot_api.blocked.add(CHAT + 1)
    async with transaction(ctx.sessions) as s:
        await enqueue(s, alice.user_id, "alarm", "alarm:a", "for alice")
        await enqueue(s, bob.user_id, "alarm", "alarm:b", "for bob")
    bot_api.throttle("sendMessage", 0, times=10)  # past the limiter's resends
    report = await _deliver(ctx, bot, bot_settings)
    assert (report.failed, report.retried, report.sent) == (0, 2, 0)
    rows = {r.dedupe_key: r for r in await _rows(ctx)}
    assert rows["alarm:a"].sent_at is None and rows["alarm:a"].last_error is not None
    # Due again after the backoff: make it due now, with the API answering again.
    bot_api._throttles.clear()
    async with transaction(ctx.sessions) as s:
        await s.execute(update(Notification).values(next_attempt_at=Notification.created_at))
    await _deliver(ctx, bot, bot_settings)
    rows = {r.dedupe_key: r for r in await _rows(ctx)}
    assert rows["alarm:a"].outcome == "sent" and [c.text for c in bot_api.sent()] == ["for alice"]
    assert rows["alarm:b"].outcome == "failed" and "blocked" in (rows["alarm:b"].last_error or "")


async def test_an_overlapping_run_sends_nothing(
    alice: Api, ctx: AppContext, bot_api: FakeBotApi, bot: ExtBot[int], bot_settings: Settings
) -> None:
    from tradebot.db import sole_runner
    from tradebot.notifications.delivery import RUNNER

    await link_chat(ctx, alice.user_id, CHAT)
    async with transaction(ctx.sessions) as s:
        await enqueue(s, alice.user_id, "alarm", "alarm:a", "once")
    async with sole_runner(ctx.engine, RUNNER):
        assert (await _deliver(ctx, bot, bot_settings)).busy
    assert bot_api.sent() == []
    assert (await _deliver(ctx, bot, bot_settings)).sent == 1
