"""Dashboard: how soon a card shows a change, and what the first load of 50 bots costs.

Starts `tradebot up` (API, worker, backtest worker, beat) on a scratch database and Redis
prefix with the dashboard built from this tree, signs a user in with 50 demo bots in Debian's
Chromium (Playwright), then:
- initial load: bytes transferred (the browser's resource timing, the status stream
  excluded), time to the first card and to all 50 cards (from navigation start);
- live latency, over `--changes` manual starts and stops through the API: from the request
  leaving to the bot's card showing the new status (the API's own answer time beside it);
- engine latency, over `--changes` changes the engine's own cycles make (`--busy` demo bots
  trading a fast demo market): from the event's publication (its id is the Redis stream's
  time, on this machine's clock) to the bot's card showing it.
Prints figures; asserts nothing.

Run: .venv/bin/python bench/ui.py (its stack's log: bench/out/ui-up.log)
     [--bots 50] [--changes 100] [--busy 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import free_port

from bench.common import REDIS, clean_up, create_database

ARGS = "--no-sandbox --disable-gpu --disable-background-networking --disable-component-update"
ARGS += " --disable-sync --no-first-run"
STATUS = '[data-testid="bot-card-{id}"] [data-testid="bot-status"]'
# Records when each card's status text changes, on the page's clock (Date.now, ms).
OBSERVER = """sel => {
  window.__seen = {};
  let last = null;
  new MutationObserver(() => {
    const el = document.querySelector(sel);
    const text = el && el.textContent;
    if (text && text !== last) { last = text; window.__seen[text] = Date.now(); }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""
# Every `state` event the app's EventSource receives: [bot id, published ms, received ms].
EVENTS = """(() => {
  window.__events = [];
  const Native = window.EventSource;
  window.EventSource = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('state', (e) => {
        const bot = JSON.parse(e.data).bot_id;
        window.__events.push([bot, Number(e.lastEventId.split('-')[0]), Date.now()]);
      });
    }
  };
})()"""
# When a card's engine-driven figures change on screen: [bot id, ms].
CARD_CHANGES = """() => {
  window.__changes = [];
  const shown = new Set(['bot-status', 'open-pnl', 'daily-pnl', 'trades-today', 'position']);
  new MutationObserver((records) => {
    const now = Date.now();
    const bots = new Set();
    for (const r of records) {
      const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      const field = el && el.closest('[data-testid]');
      const card = el && el.closest('[data-testid^="bot-card-"]');
      if (!card || !field || !shown.has(field.dataset.testid)) continue;
      bots.add(Number(card.dataset.testid.slice(9)));
    }
    for (const b of bots) window.__changes.push([b, now]);
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""
FIRST_CARDS = """(() => {
  window.__cards = {};
  new MutationObserver(() => {
    const n = document.querySelectorAll('[data-testid^="bot-card-"]').length;
    if (n && !window.__cards.first) window.__cards.first = performance.now();
    if (n >= __BOTS__ && !window.__cards.all) window.__cards.all = performance.now();
  }).observe(document, {subtree: true, childList: true});
})()"""


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q / 100 * (len(s) - 1)))]


def build_ui(out: Path) -> Path:
    env = os.environ | {"VENV_PYTHON": sys.executable}
    node = [str(ROOT / "scripts" / "node.sh"), "npx", "vite", "build", "--outDir", str(out)]
    subprocess.run(node, cwd=ROOT / "frontend", env=env, check=True, capture_output=True)
    return out


def start_up(database: str, prefix: str, ui: Path, tmp: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    env |= {
        "TRADEBOT_ENV": "dev",
        "DATABASE_URL": database.replace("postgresql://", "postgresql+asyncpg://", 1),
        "REDIS_URL": REDIS,
        "REDIS_KEY_PREFIX": prefix,
        "JWT_SECRET": "bench-jwt-secret-" + "x" * 32,
        "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "UI_DIST_DIR": str(ui),
        "HEALTH_RATE_LIMIT": "10000/minute",
        "LOG_LEVEL": "WARNING",
        # A market hour every 6 s, warm from the start: the busy bots trade often.
        "DEMO_SPEED": "600",
        "DEMO_EPOCH": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        "DISPATCH_INTERVAL_SECONDS": "0.5",
        "TICKER_TTL_SECONDS": "0.5",
    }
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    log = (ROOT / "bench" / "out" / "ui-up.log").open("wb")
    cmd = [sys.executable, "-m", "tradebot.cli", "up", "--data-dir", str(tmp / "data")]
    return subprocess.Popen(
        [*cmd, "--port", str(port), "--concurrency", "1"], stdout=log, stderr=log, env=env
    )


def wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("tradebot up exited; see its log")
        try:
            if httpx.get(f"{url}/api/v1/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("tradebot up did not answer in 120 s")


def engine_latency(events: list[list[int]], changes: list[list[int]]) -> list[float]:
    """Per on-screen change of a card, the time since the publication of the newest event of
    its bot received before it (each event counted once: changes it made no visible are
    left out, and so are re-renders of an event already counted)."""
    by_bot: dict[int, list[list[int]]] = {}
    for e in events:
        by_bot.setdefault(e[0], []).append(e)
    counted: set[tuple[int, int]] = set()
    out: list[float] = []
    for bot, at in changes:
        before = [e for e in by_bot.get(bot, []) if e[2] <= at]
        if before and (bot, before[-1][1]) not in counted:
            counted.add((bot, before[-1][1]))
            out.append(at - before[-1][1])
    return out


def busy_bots(api: httpx.Client, n: int) -> list[int]:
    """Demo bots whose settings make them trade every few candles of the fast demo market."""
    ids = []
    for i in range(n):
        body: dict[str, object] = {"name": f"busy {i:02d}", "symbol": "BTC/USDT"}
        body |= {"timeframe": "1m"}
        body |= {"stop_loss_perc": "50", "take_profit_perc": "50", "position_size_perc": "10"}
        body |= {"ema_fast": 2, "ema_slow": 3, "rsi_period": 2, "rsi_oversold": 45}
        body |= {"rsi_overbought": 55, "check_interval_seconds": 10}
        r = api.post("/bots", json=body)
        r.raise_for_status()
        ids.append(r.json()["id"])
    return ids


def measure(url: str, bots: int, changes: int, busy: int) -> None:
    from playwright.sync_api import sync_playwright

    api = httpx.Client(base_url=f"{url}/api/v1", timeout=10)
    user = {"email": "bench@example.com", "password": "a long password"}
    api.post("/auth/register", json=user).raise_for_status()
    token = api.post("/auth/login", json=user).json()["access_token"]
    api.headers["Authorization"] = f"Bearer {token}"
    ids = []
    for i in range(bots):
        body: dict[str, object] = {"name": f"bot {i:02d}", "symbol": "BTC/USDT"}
        body |= {"timeframe": "1h"}
        body |= {"stop_loss_perc": "2", "take_profit_perc": "4", "position_size_perc": "10"}
        body |= {"check_interval_seconds": 86_400}
        r = api.post("/bots", json=body)
        r.raise_for_status()
        ids.append(r.json()["id"])

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS.split())
        context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
        context.request.post(f"{url}/api/v1/auth/login", data=user)
        page = context.new_page()
        page.add_init_script(FIRST_CARDS.replace("__BOTS__", str(bots)))
        page.add_init_script(EVENTS)
        page.goto("/")
        page.wait_for_function("() => window.__cards && window.__cards.all", timeout=30_000)
        cards = page.evaluate("() => window.__cards")
        sizes = page.evaluate(
            """() => {
              const nav = performance.getEntriesByType('navigation')[0];
              const res = performance.getEntriesByType('resource')
                .filter(r => !r.name.includes('status-stream'));
              const t = res.reduce((s, r) => s + r.transferSize, nav.transferSize);
              const b = res.reduce((s, r) => s + r.decodedBodySize, nav.decodedBodySize);
              return {transfer: t, decoded: b, requests: res.length + 1};
            }"""
        )
        print(
            f"initial load, {bots} bots: {sizes['transfer'] / 1024:.0f} KiB transferred "
            f"({sizes['decoded'] / 1024:.0f} KiB decoded) in {sizes['requests']} requests; "
            f"first card {cards['first']:.0f} ms, all {bots} cards {cards['all']:.0f} ms "
            "after navigation start"
        )
        page.wait_for_selector('[data-testid="live-dot"][data-status="connected"]')
        bot = ids[0]
        page.evaluate(OBSERVER, STATUS.format(id=bot))
        card, answer = [], []
        for i in range(changes):
            action, expect = ("start", "Running|In position") if i % 2 == 0 else ("stop", "Stopped")
            t0 = time.time() * 1000
            api.post(f"/bots/{bot}/{action}").raise_for_status()
            answer.append(time.time() * 1000 - t0)
            shown = page.wait_for_function(
                """([sel, re, t0]) => {
                  const el = document.querySelector(sel);
                  const at = el && window.__seen[el.textContent];
                  return at && at >= t0 && new RegExp(re).test(el.textContent) ? at : null;
                }""",
                arg=[STATUS.format(id=bot), expect, t0],
                timeout=10_000,
            ).json_value()
            card.append(shown - t0)
        print(
            f"state change -> card, {changes} manual starts/stops: p50 {pct(card, 50):.0f} ms, "
            f"p99 {pct(card, 99):.0f} ms, max {max(card):.0f} ms "
            f"(API answer alone: p50 {pct(answer, 50):.0f} ms, p99 {pct(answer, 99):.0f} ms)"
        )
        api.post(f"/bots/{bot}/stop")
        engine: list[float] = []
        page.evaluate(CARD_CHANGES)
        for b in busy_bots(api, busy):
            api.post(f"/bots/{b}/start").raise_for_status()
        deadline = time.monotonic() + 300
        while len(engine) < changes and time.monotonic() < deadline:
            page.wait_for_timeout(2000)
            engine = engine_latency(*page.evaluate("() => [window.__events, window.__changes]"))
        if engine:
            engine = engine[:changes]
            print(
                f"engine change -> card, {len(engine)} changes of {busy} busy demo bots' cycles: "
                f"p50 {pct(engine, 50):.0f} ms, p99 {pct(engine, 99):.0f} ms, "
                f"max {max(engine):.0f} ms"
            )
        else:
            print("engine change -> card: no engine change reached a card in 300 s")
        browser.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bots", type=int, default=50)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--busy", type=int, default=20)
    args = parser.parse_args()
    name = f"tradebot_bench_ui_{uuid.uuid4().hex[:8]}"
    prefix = f"{name}:"
    database = await create_database(name)
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="bench-ui-") as tmp:
        try:
            ui = build_ui(Path(tmp) / "ui")
            port = free_port()
            procs.append(start_up(database, prefix, ui, Path(tmp), port))
            url = f"http://127.0.0.1:{port}"
            wait_up(url, procs[0])
            await asyncio.to_thread(measure, url, args.bots, args.changes, args.busy)
        finally:
            await clean_up(procs, name, prefix)


if __name__ == "__main__":
    asyncio.run(main())
