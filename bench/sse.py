"""Live status streams: N concurrent SSE streams on one API process while bots change state.

Measures publish-to-client latency (the engine publishes right after its commit) p50/p99 and
API memory per connection, then runs the same load through a bare sse-starlette + Redis hub
(no auth, no database) for a ratio. Figures are printed, never asserted.

    .venv/bin/python bench/sse.py --streams 5000 --deliveries 2000 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import REDIS, clean_up, create_database

STREAMS_PER_USER = 5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


# --- the client process: many raw-socket SSE readers ---------------------------------------


async def _reader(
    port: int,
    path: str,
    token: str | None,
    out: list[float],
    ready: list[int],
    opening: asyncio.Semaphore,
) -> None:
    await opening.acquire()  # at most so many connections being set up at once
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**20)
    except OSError:
        opening.release()
        return
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
    writer.write(f"{request}{auth}\r\n".encode())
    await writer.drain()
    first = True
    while True:
        line = await reader.readline()
        if not line:
            return
        if line.startswith(b"data:"):
            now = time.time()
            if first:
                first = False
                ready.append(1)
                opening.release()
            body = line[5:].strip()
            if body.startswith(b'{"t"') or b'"t":' in body:
                try:
                    sent = json.loads(body)["t"]
                except (ValueError, KeyError, TypeError):
                    continue
                out.append(now - sent)


async def client_main(args: argparse.Namespace) -> None:
    targets = json.loads(Path(args.targets).read_text())
    latencies: list[float] = []
    ready: list[int] = []
    opening = asyncio.Semaphore(64)
    tasks = [
        asyncio.create_task(_reader(args.port, path, token, latencies, ready, opening))
        for path, token in targets
    ]
    deadline = time.monotonic() + 180
    while len(ready) < len(targets) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    print(json.dumps({"connected": len(ready)}), flush=True)
    # measure from the publisher's signal (a line on stdin) to the stop signal
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    latencies.clear()
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    print(json.dumps({"latencies": latencies}), flush=True)
    for t in tasks:
        t.cancel()


# --- the bare hub: sse-starlette + one Redis subscription, nothing else ----------------------


def bare_app(prefix: str) -> Any:
    from redis.asyncio import Redis
    from sse_starlette.sse import EventSourceResponse
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.routing import Route

    queues: dict[int, set[asyncio.Queue[str]]] = {}

    async def pump() -> None:
        redis = Redis.from_url(REDIS, decode_responses=True)
        pubsub = redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.psubscribe(f"{prefix}events:user:*")
        while True:
            message = await pubsub.get_message(timeout=30.0)
            if message is None:
                continue
            body = json.loads(message["data"])
            for q in list(queues.get(int(body["user_id"]), ())):
                if q.qsize() < 256:
                    q.put_nowait(body["data"])

    async def stream(request: Request) -> EventSourceResponse:
        user = int(request.query_params["user"])
        q: asyncio.Queue[str] = asyncio.Queue()
        queues.setdefault(user, set()).add(q)

        async def events() -> Any:
            try:
                yield {"event": "snapshot", "data": "{}"}
                while True:
                    yield {"event": "state", "data": await q.get()}
            finally:
                queues[user].discard(q)

        return EventSourceResponse(events(), ping=15)

    @contextlib.asynccontextmanager
    async def lifespan(_: Any) -> Any:
        import gc

        # The same collector settings as the API's, so the two compare like for like.
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
        task = asyncio.get_running_loop().create_task(pump())
        yield
        task.cancel()

    return Starlette(routes=[Route("/stream", stream)], lifespan=lifespan)


def bare_main(args: argparse.Namespace) -> None:
    import uvicorn

    uvicorn.run(bare_app(args.prefix), host="127.0.0.1", port=args.port, log_level="warning")


# --- the driver ---------------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    import psutil

    return psutil.Process(pid).memory_info().rss / 2**20


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


async def run_load(
    server_pid: int,
    port: int,
    targets: list[tuple[str, str | None]],
    users: int,
    args: argparse.Namespace,
) -> dict[str, float]:
    from redis.asyncio import Redis

    from tradebot.events.publisher import EventPublisher
    from tradebot.redis_client import Keys

    tmp = Path(tempfile.mkdtemp())
    (tmp / "targets.json").write_text(json.dumps(targets))
    rss_before = rss_mb(server_pid)
    client = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--client",
            "--port",
            str(port),
            "--targets",
            str(tmp / "targets.json"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert client.stdout is not None and client.stdin is not None
    connected = json.loads(await asyncio.to_thread(client.stdout.readline))["connected"]
    await asyncio.sleep(2)
    rss_after = rss_mb(server_pid)
    redis = Redis.from_url(REDIS, decode_responses=True)
    publisher = EventPublisher(redis, Keys(args.prefix))
    rate = args.deliveries / STREAMS_PER_USER  # events/s; each reaches one user's streams
    client.stdin.write("go\n")
    client.stdin.flush()
    start = time.monotonic()
    sent = 0
    while time.monotonic() - start < args.seconds:
        due = int((time.monotonic() - start) * rate)
        while sent < due:
            user = sent % users + 1
            await publisher.publish(user, {"t": time.time(), "bot_id": user, "n": sent})
            sent += 1
        await asyncio.sleep(0.002)
    await asyncio.sleep(1)
    client.stdin.write("stop\n")
    client.stdin.flush()
    lat = json.loads(await asyncio.to_thread(client.stdout.readline))["latencies"]
    client.send_signal(signal.SIGTERM)
    client.wait(30)
    await redis.aclose()
    elapsed = args.seconds
    return {
        "connected": connected,
        "events_per_s": sent / elapsed,
        "deliveries_per_s": len(lat) / elapsed,
        "p50_ms": pct(lat, 0.5) * 1000,
        "p99_ms": pct(lat, 0.99) * 1000,
        "max_ms": max(lat, default=float("nan")) * 1000,
        "mean_ms": statistics.fmean(lat) * 1000 if lat else float("nan"),
        "kb_per_conn": (rss_after - rss_before) * 1024 / max(1, connected),
        "rss_mb": rss_after,
    }


async def driver(args: argparse.Namespace) -> None:
    import asyncpg
    from cryptography.fernet import Fernet

    from tradebot import migrate
    from tradebot.config import Settings, finalize
    from tradebot.security import issue_token

    run = uuid.uuid4().hex[:8]
    name = f"tradebot_bench_sse_{run}"
    args.prefix = f"bench-sse-{run}:"
    users = max(1, args.streams // STREAMS_PER_USER)
    dsn = await create_database(name)
    tmp = Path(tempfile.mkdtemp(prefix="tradebot-bench-sse-"))
    env = dict(os.environ)
    env.update(
        TRADEBOT_DATA_DIR=str(tmp),
        DATABASE_URL=dsn,
        REDIS_URL=REDIS,
        REDIS_KEY_PREFIX=args.prefix,
        JWT_SECRET="bench-" + "y" * 40,
        ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        LOG_LEVEL="WARNING",
        DB_POOL_SIZE="20",
    )
    procs: list[subprocess.Popen[bytes]] = []
    try:
        await migrate.run_async(dsn.replace("postgresql://", "postgresql+asyncpg://"))
        conn = await asyncpg.connect(dsn)
        await conn.executemany(
            "INSERT INTO users (email, hashed_password) VALUES ($1, 'x')",
            [(f"sse{i}@example.com",) for i in range(users)],
        )
        await conn.executemany(
            "INSERT INTO bot_configs (user_id, name, symbol, timeframe, stop_loss_perc,"
            " take_profit_perc, position_size_perc, ema_fast, ema_slow, rsi_period, rsi_oversold,"
            " rsi_overbought) VALUES ($1, 'b', 'BTC/USDT', '1h', 2, 4, 10, 9, 21, 14, 30, 70)",
            [(u,) for u in range(1, users + 1)],
        )
        await conn.execute("INSERT INTO bot_states (id) SELECT id FROM bot_configs")
        await conn.close()
        settings = finalize(
            Settings(
                _env_file=None, JWT_SECRET=env["JWT_SECRET"], ENCRYPTION_KEYS=env["ENCRYPTION_KEYS"]
            )
        )  # type: ignore[arg-type]
        tokens = {u: issue_token(settings, u)[0] for u in range(1, users + 1)}
        print(
            f"{users:,} users x {STREAMS_PER_USER} streams = {users * STREAMS_PER_USER:,} streams; "
            f"{args.deliveries:,} deliveries/s for {args.seconds} s"
        )

        port = free_port()
        api = subprocess.Popen(
            [sys.executable, "-m", "tradebot.cli", "api", "--port", str(port)], env=env, cwd=tmp
        )
        procs.append(api)
        wait_port(port)
        ours = await run_load(
            api.pid,
            port,
            [
                ("/api/v1/bots/status-stream", tokens[u])
                for u in tokens
                for _ in range(STREAMS_PER_USER)
            ],
            users,
            args,
        )
        api.send_signal(signal.SIGTERM)
        api.wait(30)

        port = free_port()
        bare = subprocess.Popen(
            [sys.executable, __file__, "--bare", "--port", str(port), "--prefix", args.prefix],
            cwd=tmp,
        )
        procs.append(bare)
        wait_port(port)
        await asyncio.sleep(1)
        base = await run_load(
            bare.pid,
            port,
            [(f"/stream?user={u}", None) for u in tokens for _ in range(STREAMS_PER_USER)],
            users,
            args,
        )
        print()
        print(f"{'':24}{'tradebot':>14}{'bare hub':>14}")
        for key, label in [
            ("connected", "streams connected"),
            ("deliveries_per_s", "deliveries/s"),
            ("p50_ms", "latency p50 (ms)"),
            ("p99_ms", "latency p99 (ms)"),
            ("max_ms", "latency max (ms)"),
            ("kb_per_conn", "memory/stream (KB)"),
            ("rss_mb", "server RSS (MB)"),
        ]:
            print(f"{label:24}{ours[key]:>14,.1f}{base[key]:>14,.1f}")
        print(f"\np99 ratio tradebot / bare hub: {ours['p99_ms'] / base['p99_ms']:.2f}x")
    finally:
        await clean_up(procs, name, args.prefix)


def _raise_file_limit() -> None:
    """Thousands of sockets per process; children inherit the raised limit."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))


def main() -> None:
    _raise_file_limit()
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--streams", type=int, default=5000)
    ap.add_argument("--deliveries", type=int, default=2000, help="deliveries per second")
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--targets", default="", help=argparse.SUPPRESS)
    ap.add_argument("--prefix", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.client:
        asyncio.run(client_main(args))
    elif args.bare:
        bare_main(args)
    else:
        asyncio.run(driver(args))


if __name__ == "__main__":
    main()
