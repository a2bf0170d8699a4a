"""The dashboard in a real browser: a user's whole journey, isolation, and each page's a11y."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Up
from tests.engine.processes import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

PASSWORD = "a long password 1"
# Settings that make a demo bot trade often: short averages, a narrow RSI band.
BUSY_FORM = {
    "Name": "Busy demo",
    "Check interval (s)": "10",
    "Initial capital": "1000",
    "Stop-loss (%)": "50",
    "Take-profit (%)": "50",
    "EMA fast": "2",
    "EMA slow": "3",
    "RSI period": "2",
    "RSI oversold": "45",
    "RSI overbought": "55",
}
WAIT_MS = 15_000


class Shots:
    """Screenshots of every page (test-artifacts/) and an axe-core check of each."""

    def __init__(self, page: Any, artifacts: Path, axe: Path) -> None:
        self.page, self.artifacts, self.axe = page, artifacts, axe
        self.problems: list[str] = []

    def take(self, name: str, *, full_page: bool = True) -> None:
        self.page.wait_for_load_state("networkidle")
        self.page.screenshot(path=str(self.artifacts / f"{name}.png"), full_page=full_page)
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.add_script_tag(path=str(self.axe))
        result = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
        )
        for v in result:
            if v["impact"] in ("serious", "critical"):
                where = ", ".join(v["nodes"])
                self.problems.append(f"{name}: {v['impact']} {v['id']} ({v['help']}) at {where}")
        (self.artifacts / f"{name}.axe.json").write_text(json.dumps(result, indent=2))

    def assert_accessible(self) -> None:
        assert not self.problems, "axe-core found serious problems:\n" + "\n".join(self.problems)


def _card(page: Any, bot_id: int) -> Any:
    return page.get_by_test_id(f"bot-card-{bot_id}")


def test_a_users_journey(up: Up, browser: Any, artifacts: Path, axe_source: Path) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)
    context = browser.new_context(base_url=up.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    shots = Shots(page, artifacts, axe_source)
    email = "journey@example.com"

    # Signed out, / is the login page; register from there.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    shots.take("login")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    shots.take("register")
    page.get_by_role("button", name="Create an account").click()
    expect(page.get_by_test_id("empty-state")).to_be_visible()
    expect(page.get_by_test_id("live-dot")).to_have_attribute("data-status", "connected")
    shots.take("dashboard-empty")

    # An API key: masked in the list, the secret never shown again.
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Label").fill("main")
    page.get_by_label("API key").fill("e2e-api-key-0123456789abcd")
    page.get_by_label("Secret key").fill("e2e-secret-key-never-shown")
    page.get_by_role("button", name="Add key").click()
    table = page.get_by_test_id("api-keys-table")
    expect(table).to_contain_text("****abcd")
    expect(page.locator("body")).not_to_contain_text("e2e-secret-key-never-shown")
    shots.take("api-keys")

    # A demo bot, created from the form.
    page.get_by_role("link", name="New bot").first.click()
    for label, value in BUSY_FORM.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("Timeframe").select_option("1m")
    shots.take("bot-new")
    page.get_by_role("button", name="Create bot").click()
    expect(page).to_have_url(re.compile(r"/bots/\d+$"))
    bot_id = int(page.url.rsplit("/", 1)[1])

    # Start it from its card; the card follows the engine without a reload.
    page.get_by_role("link", name="Dashboard").click()
    card = _card(page, bot_id)
    expect(card.get_by_test_id("bot-status")).to_have_text(re.compile("Stopped"))
    page.evaluate("() => { window.__sameDocument = true; }")
    card.get_by_role("button", name=f"Start {BUSY_FORM['Name']}").click()
    expect(card.get_by_test_id("bot-status")).to_have_text(re.compile("Running|In position"))

    def traded() -> bool:
        up.poke()
        count = card.get_by_test_id("trades-today").inner_text().split("/")[0].strip()
        return count not in ("0", "")

    wait_for(traded, 120, "the card to show the bot's first trade", up.logs)
    assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
    shots.take("dashboard")
    shots.take("dashboard-viewport", full_page=False)

    # The trade in the detail page's table and on its chart.
    card.get_by_role("link", name=BUSY_FORM["Name"]).click()
    expect(page.get_by_test_id("trades-table")).to_be_visible()
    rows = page.get_by_test_id("trades-table").locator("tbody tr")
    expect(rows.first).to_contain_text(re.compile("Buy|Sell", re.I))
    chart = page.get_by_test_id("candle-chart")
    expect(chart).to_have_attribute("data-markers", re.compile(r"^[1-9]\d*$"))
    shots.take("bot-detail")
    shots.take("bot-detail-viewport", full_page=False)

    # Stop: asks first while the bot holds a position.
    state = context.request.get(f"{up.api}/bots/{bot_id}").json()
    page.get_by_role("button", name="Stop", exact=True).click()
    if state["state"]["in_position"]:
        dialog = page.get_by_role("dialog")
        expect(dialog).to_contain_text("holds a position")
        shots.take("bot-stop-confirm", full_page=False)
        dialog.get_by_role("button", name="Stop the bot").click()
    expect(page.get_by_role("button", name="Start", exact=True)).to_be_visible()

    # A backtest on the workers: progress, then the report and its trades.csv.
    page.get_by_role("link", name="Backtest").click()
    page.get_by_label("Timeframe", exact=True).select_option("5m")
    page.get_by_label("Candles").fill("3000")
    page.get_by_role("button", name="Run backtest").click()
    report = page.get_by_test_id("backtest-report")
    expect(report).to_be_visible(timeout=90_000)
    expect(report.get_by_test_id("backtest-metrics")).to_contain_text("Buy and hold")
    expect(report.get_by_test_id("candle-chart")).to_be_visible()
    expect(report.get_by_test_id("equity-chart")).to_be_visible()
    href = report.get_by_role("link", name="Download trades.csv").get_attribute("href")
    csv = context.request.get(f"{up.url}{href}")
    assert csv.status == 200 and csv.headers["content-type"].startswith("text/csv")
    expect(page.get_by_test_id("backtest-history")).to_contain_text("done")
    shots.take("backtest")

    # Settings: a link code for the Telegram bot, and an alarm from the form.
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("button", name="Get a link code").click()
    code = page.get_by_test_id("link-code")
    expect(code).to_contain_text("/link ")
    expect(page.get_by_test_id("link-code-expiry")).to_contain_text("Valid for")
    form = page.get_by_role("form", name="Add an alarm")
    form.get_by_label("Symbol").fill("btc")
    form.get_by_label("Threshold").fill("150000")
    form.get_by_role("button", name="Add alarm").click()
    expect(page.get_by_test_id("alarms-table")).to_contain_text("BTC/USDT price > 150000")
    shots.take("settings")

    # Operations on this `up`: every process's metrics on /metrics, all parts ready.
    families = _metrics(context.request.get(f"{up.url}/metrics").text())
    assert families["tradebot_trades_total"] > 0 and families["tradebot_orders_total"] > 0
    assert families["tradebot_cycles_total"] > 0 and families["tradebot_http_requests_total"] > 0
    assert families["tradebot_cycle_lateness_seconds_count"] > 0
    assert families["tradebot_sse_streams"] >= 1 and families["tradebot_bots"] >= 1
    assert context.request.get(f"{up.api}/ready").status == 200
    doctor = subprocess.run(
        [sys.executable, "-m", "tradebot.cli", "doctor"],
        env=up.env,
        cwd=up.log.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr

    # The API process dies; the supervisor starts another, and the dot comes back by itself.
    page.get_by_role("link", name="Dashboard").click()
    dot = page.get_by_test_id("live-dot")
    expect(dot).to_have_attribute("data-status", "connected")
    page.evaluate("() => { window.__sameDocument = true; }")
    up.kill_api()
    expect(dot).to_have_attribute("data-status", re.compile("reconnecting|offline"))
    shots.take("dashboard-reconnecting", full_page=False)
    expect(dot).to_have_attribute("data-status", "connected", timeout=60_000)
    assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
    expect(_card(page, bot_id).get_by_test_id("bot-status")).to_have_text(re.compile("Stopped"))

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    context.close()
    shots.assert_accessible()
    # Every process's log (API, workers, Beat; `up` gathers them) holds none of the secrets
    # this journey typed in.
    logs = up.logs()
    for planted in ("e2e-api-key-0123456789abcd", "e2e-secret-key-never-shown", PASSWORD):
        assert planted not in logs


def test_other_users_bot_and_wrong_password(
    up: Up, browser: Any, artifacts: Path, axe_source: Path
) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)
    with httpx.Client(base_url=up.api, timeout=10) as c:
        for who in ("owner", "other"):
            r = c.post("/auth/register", json={"email": f"{who}@example.com", "password": PASSWORD})
            assert r.status_code == 201, r.text
        assert c.post(
            "/auth/login", json={"email": "owner@example.com", "password": PASSWORD}
        ).is_success
        body = {"name": "Owned", "symbol": "BTC/USDT", "timeframe": "1h"}
        body |= {"stop_loss_perc": "2", "take_profit_perc": "4", "position_size_perc": "10"}
        r = c.post("/bots", json=body)
        assert r.status_code == 201, r.text
        owned = r.json()["id"]

    context = browser.new_context(base_url=up.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    shots = Shots(page, artifacts, axe_source)
    page.goto("/login")
    page.get_by_label("Email").fill("other@example.com")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    shots.take("login-wrong-password")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("empty-state")).to_be_visible()

    started = time.monotonic()
    page.goto(f"/bots/{owned}")
    expect(page.get_by_test_id("not-found")).to_be_visible()
    assert time.monotonic() - started < 10
    expect(page.locator("body")).not_to_contain_text("Owned")
    shots.take("not-found")
    context.close()
    shots.assert_accessible()


def _metrics(text: str) -> dict[str, float]:
    """Each sample name's total over its labels, from the Prometheus text format."""
    from prometheus_client.parser import text_string_to_metric_families

    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
    return totals
