"""Dashboard: how soon a card shows a change, and what the first load of 50 bots costs.

Starts `tradebot up` (API, worker, backtest worker, beat) on a scratch database and Redis
prefix with the dashboard built from this tree, signs a user in with 50 demo bots in Debian's
Chromium (Playwright), then:
- initial load: bytes transferred (the browser's resource timing, the status stream
  excluded), time to the first card and to all 50 cards (from navigation start);
- live latency, over `--changes` manual starts and stops through the API: from the request
  leaving to the bot's card showing the new status (the API's own answer time beside it).
Prints figures; asserts nothing.

Run: .venv/bin/python bench/ui.py (its stack's log: bench/out/ui-up.log) [--bots 50] [--changes 100]
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


def measure(url: str, bots: int, changes: int) -> None:
    from playwright.sync_api import sync_playwright

    api = httpx.Client(base_url=f"{url}/api/v1", timeout=10)
    user = {"email": "bench@example.com", "password": "a long password"}
    api.post("/auth/register", json=user).raise_for_status()
    token = api.post("/auth/login", json=user).json()["access_token"]
    api.headers["Authorization"] = f"Bearer {token}"
    ids = []
    for i in range(bots):
        body = {"name": f"bot {i:02d}", "symbol": "BTC/USDT", "timeframe": "1h"}
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
        browser.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bots", type=int, default=50)
    parser.add_argument("--changes", type=int, default=100)
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
            await asyncio.to_thread(measure, url, args.bots, args.changes)
        finally:
            await clean_up(procs, name, prefix)


if __name__ == "__main__":
    asyncio.run(main())
