"""Test fixtures on real PostgreSQL and Redis.

TRADEBOT_TEST_STACK chooses the servers of the whole run (tests/stack.py): `services`
(default) uses TEST_DATABASE_URL / TEST_REDIS_URL, else the servers on 127.0.0.1, and starts
the embedded one in place of any that does not answer; `embedded` always starts the embedded
PostgreSQL and Redis that `tradebot up` runs. The run's log names the stack and the server
versions. Every test reaches PostgreSQL and Redis through the `services` fixture (or those
built on it), never by an address of its own.

Each run gets its own database (migrated with Alembic) and its own Redis key prefix, so runs
never see each other; every test starts from empty tables and no keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.fakes.binance import FakeBinance
from tests.stack import RunStack, selected_stack, start_stack
from tradebot import migrate
from tradebot.app import create_app
from tradebot.config import Settings, finalize
from tradebot.context import AppContext
from tradebot.engine.context import EngineContext
from tradebot.models import Base
from tradebot.system import router as system_router

RUN_ID = uuid.uuid4().hex[:10]
# Submitted by tests as passwords and exchange secrets; must never reach a log or a table.
LEAK_MARKERS: set[str] = set()


def secret_marker(kind: str) -> str:
    """A unique secret-looking value whose appearance anywhere would be a leak."""
    value = f"{kind}-{uuid.uuid4().hex}"
    LEAK_MARKERS.add(value)
    return value


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(app: object) -> AsyncIterator[int]:
    """`app` on a real loopback port (streams and keep-alive need a real connection)."""
    port = free_port()
    srv = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")  # type: ignore[arg-type]
    )
    task = asyncio.create_task(srv.serve())
    while not srv.started:
        await asyncio.sleep(0.02)
    try:
        yield port
    finally:
        srv.should_exit = True
        await task


class _StackHolder:
    """The run's stack, started on first use (the report header or the first fixture)."""

    stack: RunStack | None = None
    error: BaseException | None = None
    reported = False

    @classmethod
    def get(cls) -> RunStack:
        if cls.error is not None:
            raise cls.error
        if cls.stack is None:
            try:
                cls.stack = start_stack(selected_stack())
            except Exception as exc:
                cls.error = exc
                raise
        return cls.stack


def pytest_configure(config: pytest.Config) -> None:
    selected_stack()  # an unknown TRADEBOT_TEST_STACK stops the run before it starts


def pytest_report_header(config: pytest.Config) -> list[str]:
    try:
        line = _StackHolder.get().describe()
    except Exception as exc:  # the `services` fixture raises it again for the tests
        line = f"stack: {selected_stack()} (could not start: {exc})"
    _StackHolder.reported = True
    return [line]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # `pytest -q` shows no header: say here which servers the run used.
    if _StackHolder.stack is not None and not _StackHolder.reported:
        terminalreporter.write_line(_StackHolder.stack.describe())


def pytest_unconfigure(config: pytest.Config) -> None:
    if _StackHolder.stack is not None:
        _StackHolder.stack.stop()
        _StackHolder.stack = None


@pytest.fixture(scope="session")
def run_stack() -> RunStack:
    """The run's PostgreSQL and Redis (TRADEBOT_TEST_STACK), and whether they are embedded."""
    return _StackHolder.get()


@pytest.fixture(scope="session")
def services(run_stack: RunStack) -> tuple[str, str]:
    """(admin PostgreSQL URL, Redis URL) of the run's stack."""
    return run_stack.postgres_url, run_stack.redis_url


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def create_database(admin_url: str, name: str) -> str:
    """Create database `name` on the server of `admin_url`; return its asyncpg URL."""
    conn = await asyncpg.connect(_asyncpg_dsn(admin_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base, _, query = admin_url.partition("?")
    root = base.rsplit("/", 1)[0]
    url = f"{root}/{name}" + (f"?{query}" if query else "")
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


async def drop_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(admin_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def database_url(services: tuple[str, str]) -> AsyncIterator[str]:
    """A fresh database for this run, migrated to head."""
    admin, _ = services
    name = f"tradebot_test_{RUN_ID}"
    url = await create_database(admin, name)
    await migrate.run_async(url, "upgrade", "head")
    yield url
    await drop_database(admin, name)


def make_settings(database_url: str, redis_url: str, data_dir: Path, **extra: object) -> Settings:
    values: dict[str, object] = {
        "TRADEBOT_ENV": "dev",
        "TRADEBOT_DATA_DIR": data_dir,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": f"test-{RUN_ID}:",
        "JWT_SECRET": "test-jwt-secret-" + "x" * 32,
        "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "HEALTH_RATE_LIMIT": "1000/minute",
        "LOGIN_LOCKOUT_SECONDS": 60,
    }
    values.update(extra)
    return finalize(Settings(_env_file=None, **values))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def settings(
    database_url: str, services: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return make_settings(database_url, services[1], tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[object]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
def ctx(app: object) -> AppContext:
    return app.state.ctx  # type: ignore[attr-defined, no-any-return]


@pytest.fixture
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/v1") as c:
        yield c


@pytest.fixture
async def session(ctx: AppContext) -> AsyncIterator[AsyncSession]:
    """A session for arranging and checking rows directly; the test commits what it needs."""
    async with ctx.sessions() as s:
        yield s


async def _clean(ctx: AppContext) -> None:
    tables = ", ".join(t.name for t in reversed(Base.metadata.sorted_tables))
    async with ctx.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    keys = [k async for k in ctx.redis.scan_iter(match=f"{ctx.settings.redis_key_prefix}*")]
    if keys:
        await ctx.redis.delete(*keys)
    system_router._limiter.storage.reset()


@pytest.fixture(autouse=True)
async def _isolate(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Empty tables and keys after every test that touched the database."""
    uses_db = "ctx" in request.fixturenames or "client" in request.fixturenames
    context = request.getfixturevalue("ctx") if uses_db else None
    yield
    if context is not None:
        await _clean(context)


class _LogCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):  # a record that cannot format cannot leak either
            self.lines.append(self.format(record))


@pytest.fixture(scope="session", autouse=True)
def log_collector() -> Iterator[_LogCollector]:
    """Every log record of the run, at DEBUG, checked for leaked secrets at the end."""
    handler = _LogCollector()
    handler.setFormatter(logging.Formatter("%(name)s %(message)s %(exc_text)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old_level)
    leaked = sorted({m for m in LEAK_MARKERS for line in handler.lines if m in line})
    assert not leaked, f"secrets reached the logs: {len(leaked)} markers"


# --- API helpers -------------------------------------------------------------------------


class Api:
    """A signed-in user as the tests drive it."""

    def __init__(self, client: httpx.AsyncClient, email: str, token: str, user_id: int) -> None:
        self.client, self.email, self.token, self.user_id = client, email, token, user_id

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def request(self, method: str, path: str, **kw: object) -> httpx.Response:
        return await self.client.request(method, path, headers=self.headers, **kw)  # type: ignore[arg-type]

    async def create_bot(self, **overrides: object) -> dict[str, object]:
        r = await self.request("POST", "/bots", json=bot_body(**overrides))
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    async def create_key(self, label: str = "main") -> dict[str, object]:
        body = {
            "label": label,
            "api_key": secret_marker("apikey"),
            "secret_key": secret_marker("secret"),
        }
        r = await self.request("POST", "/api-keys", json=body)
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]


def bot_body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "name": "BTC EMA cross",
        "symbol": "BTC/USDT",
        "timeframe": "1h",
        "stop_loss_perc": "2",
        "take_profit_perc": "4",
        "position_size_perc": "10",
    }
    body.update(overrides)
    return body


async def signup(client: httpx.AsyncClient, email: str | None = None) -> Api:
    email = email or f"user-{uuid.uuid4().hex[:8]}@example.com"
    password = secret_marker("pw")
    r = await client.post("/auth/register", json={"email": email, "password": password})
    assert r.status_code == 201, r.text
    user_id = r.json()["id"]
    r = await client.post("/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    client.cookies.clear()  # tests choose header or cookie explicitly
    return Api(client, email, r.json()["access_token"], user_id)


@pytest.fixture
async def alice(client: httpx.AsyncClient) -> Api:
    return await signup(client, "alice@example.com")


@pytest.fixture
async def bob(client: httpx.AsyncClient) -> Api:
    return await signup(client, "bob@example.com")


# --- the engine: an in-process engine context on the test database, Redis and fake Binance


@pytest.fixture
def fake() -> Iterator[FakeBinance]:
    with FakeBinance() as server:
        server.set_price("BTCUSDT", "60000")
        yield server


def engine_settings(settings: Settings, tmp_path: Any, **extra: object) -> Settings:
    """The app's settings (same database, Redis prefix and keys) with engine overrides."""
    return make_settings(
        str(settings.database_url),
        str(settings.redis_url),
        tmp_path,
        ENCRYPTION_KEYS=settings.fernet_keys[0],
        JWT_SECRET=settings.jwt_secret.get_secret_value(),  # type: ignore[union-attr]
        **({"EXCHANGE_TIMEOUT": 2, "TICKER_TTL_SECONDS": 0.001} | extra),
    )


@pytest.fixture
async def engine(
    ctx: AppContext, settings: Settings, fake: FakeBinance, tmp_path: Any
) -> AsyncIterator[EngineContext]:
    ectx = EngineContext.create(engine_settings(settings, tmp_path, BINANCE_BASE_URL=fake.url))
    yield ectx
    await ectx.close()
