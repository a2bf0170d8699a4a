"""Settings: read once from the environment and `.env`, frozen, secrets checked at start."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values shipped in `.env.example`; refusing them outside dev mode stops a copied example
# file from becoming a production secret.
PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "dev"})
SECRETS_FILE = "secrets.json"


class ConfigError(RuntimeError):
    """Settings that cannot work; the message says what to set."""


class Settings(BaseSettings):
    """Every setting of the platform; `.env.example` lists them with their defaults."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    env: Literal["dev", "production"] = Field("dev", alias="TRADEBOT_ENV")
    data_dir: Path = Field(Path(".tradebot"), alias="TRADEBOT_DATA_DIR")

    database_url: str | None = Field(None, alias="DATABASE_URL")
    redis_url: str | None = Field(None, alias="REDIS_URL")
    celery_broker_url: str | None = Field(None, alias="CELERY_BROKER_URL")
    redis_key_prefix: str = Field("tradebot:", alias="REDIS_KEY_PREFIX")

    jwt_secret: SecretStr | None = Field(None, alias="JWT_SECRET")
    jwt_ttl_minutes: int = Field(60 * 12, alias="JWT_TTL_MINUTES", ge=5)
    # Comma-separated Fernet keys; the first encrypts, all decrypt (rotation).
    encryption_keys: SecretStr | None = Field(None, alias="ENCRYPTION_KEYS")

    api_host: str = Field("127.0.0.1", alias="API_HOST")
    api_port: int = Field(8000, alias="API_PORT", ge=1, le=65535)
    cors_origins: str = Field("", alias="CORS_ORIGINS")
    # The built dashboard served at `/`; unset: the checkout's `frontend/dist`.
    ui_dist_dir: Path | None = Field(None, alias="UI_DIST_DIR")
    cookie_secure: bool | None = Field(None, alias="COOKIE_SECURE")
    # Proxies whose X-Forwarded-For/-Proto the API believes (IPs or networks, comma-separated).
    # Empty: none, so a client's address is its connection's and no client can choose its own
    # (the login lockout and the health rate limit count per address).
    forwarded_allow_ips: str = Field("", alias="FORWARDED_ALLOW_IPS")

    login_max_failures: int = Field(5, alias="LOGIN_MAX_FAILURES", ge=1)
    login_max_failures_per_ip: int = Field(20, alias="LOGIN_MAX_FAILURES_PER_IP", ge=1)
    login_lockout_seconds: int = Field(300, alias="LOGIN_LOCKOUT_SECONDS", ge=1)
    health_rate_limit: str = Field("60/minute", alias="HEALTH_RATE_LIMIT")
    db_pool_size: int = Field(10, alias="DB_POOL_SIZE", ge=1)
    redis_pool_size: int = Field(50, alias="REDIS_POOL_SIZE", ge=2)
    sse_ping_seconds: float = Field(15.0, alias="SSE_PING_SECONDS", gt=0)

    # Exchanges. The base URL override points the real ccxt client elsewhere (a local fake).
    binance_base_url: str | None = Field(None, alias="BINANCE_BASE_URL")
    exchange_timeout: float = Field(10.0, alias="EXCHANGE_TIMEOUT", gt=0)
    weight_per_minute: int = Field(6000, alias="WEIGHT_PER_MINUTE", ge=100)
    candle_limit: int = Field(300, alias="CANDLE_LIMIT", ge=50, le=1000)
    ticker_ttl: float = Field(2.0, alias="TICKER_TTL_SECONDS", gt=0)
    # The collector (Beat) keeps watched markets in the shared cache this often; chat
    # commands accept cached prices about that old.
    market_collect_interval: float = Field(30.0, alias="MARKET_COLLECT_SECONDS", ge=5, le=300)

    # Simulated accounts (paper and demo bots) and the demo market.
    sim_start_balance: Decimal = Field(Decimal(10_000), alias="SIM_START_BALANCE", gt=0)
    sim_fee_rate: Decimal = Field(Decimal("0.001"), alias="SIM_FEE_RATE", ge=0, lt=1)
    sim_slippage_bps: Decimal = Field(Decimal(5), alias="SIM_SLIPPAGE_BPS", ge=0)
    demo_seed: int = Field(0, alias="DEMO_SEED")
    demo_speed: float = Field(1.0, alias="DEMO_SPEED", gt=0)
    demo_epoch: datetime = Field(datetime(2026, 1, 1, tzinfo=UTC), alias="DEMO_EPOCH")

    # The bot engine.
    scheduler_mode: Literal["dispatch", "chain"] = Field("dispatch", alias="SCHEDULER_MODE")
    dispatch_interval: float = Field(1.0, alias="DISPATCH_INTERVAL_SECONDS", gt=0)
    dispatch_grace: float = Field(15.0, alias="DISPATCH_GRACE_SECONDS", ge=0)
    cycle_batch_size: int = Field(100, alias="CYCLE_BATCH_SIZE", ge=1, le=1000)
    cycle_soft_time_limit: float = Field(45.0, alias="CYCLE_SOFT_TIME_LIMIT", gt=0)
    cycle_time_limit: float = Field(60.0, alias="CYCLE_TIME_LIMIT", gt=0)
    cycle_max_retries: int = Field(5, alias="CYCLE_MAX_RETRIES", ge=0)
    chain_max_countdown: int = Field(600, alias="CHAIN_MAX_COUNTDOWN", ge=10)
    lease_margin: float = Field(30.0, alias="LEASE_MARGIN_SECONDS", gt=0)
    worker_stall_seconds: float = Field(30.0, alias="WORKER_STALL_SECONDS", gt=0)

    # Backtest jobs (their own queue and worker). Limits per user: jobs queued or running at
    # once, and candles per job.
    backtest_max_active: int = Field(2, alias="BACKTEST_MAX_ACTIVE", ge=1)
    backtest_max_bars: int = Field(50_000, alias="BACKTEST_MAX_BARS", ge=100, le=1_000_000)
    # Below the Redis broker's visibility timeout (3,600 s), past which a job is re-delivered.
    backtest_time_limit: float = Field(600.0, alias="BACKTEST_TIME_LIMIT", gt=0, le=3000)
    # A running job that has written no progress for this long lost its worker: it fails.
    backtest_stale_seconds: float = Field(120.0, alias="BACKTEST_STALE_SECONDS", gt=0)

    # The Telegram bot: one token for every user of the installation, each chat linked to
    # its own account. Unset: no bot runs.
    telegram_bot_token: SecretStr | None = Field(None, alias="TELEGRAM_BOT_TOKEN")
    # Where the Bot API lives: Telegram's, a self-hosted Bot API server, or a test fake.
    telegram_api_base_url: str = Field("https://api.telegram.org", alias="TELEGRAM_API_BASE_URL")
    # Where the public chat commands (/price, /ta, /chart, /funding, /oi) read: Binance, or
    # the offline demo market.
    telegram_market: Literal["binance", "demo"] = Field("binance", alias="TELEGRAM_MARKET")
    # polling: `tradebot telegram` asks for updates; webhook: Telegram posts them to the API.
    telegram_mode: Literal["polling", "webhook"] = Field("polling", alias="TELEGRAM_MODE")
    # The public https URL of POST /api/v1/telegram/webhook (webhook mode).
    telegram_webhook_url: str | None = Field(None, alias="TELEGRAM_WEBHOOK_URL")
    # Telegram sends it back in X-Telegram-Bot-Api-Secret-Token; the API refuses others.
    telegram_webhook_secret: SecretStr | None = Field(None, alias="TELEGRAM_WEBHOOK_SECRET")
    # Outgoing message rates: Telegram allows ~30/s overall, ~1/s per chat, 20/min per group.
    telegram_rate_overall: float = Field(30.0, alias="TELEGRAM_RATE_OVERALL", gt=0)
    telegram_rate_per_chat: float = Field(1.0, alias="TELEGRAM_RATE_PER_CHAT", gt=0)
    telegram_rate_per_group_minute: float = Field(
        20.0, alias="TELEGRAM_RATE_PER_GROUP_MINUTE", gt=0
    )
    # Resends of a message Telegram refused with 429, each after its retry_after.
    telegram_max_retries: int = Field(3, alias="TELEGRAM_MAX_RETRIES", ge=0)
    # getUpdates long-poll timeout (seconds).
    telegram_poll_timeout: int = Field(30, alias="TELEGRAM_POLL_TIMEOUT", ge=0, le=50)
    # Lifetime of a one-time link code.
    telegram_link_code_ttl: int = Field(600, alias="TELEGRAM_LINK_CODE_TTL_SECONDS", ge=60)
    # Alarms: how many a user may keep, and how often (seconds) the evaluator checks them.
    alarms_per_user: int = Field(50, alias="ALARMS_PER_USER", ge=1, le=10_000)
    alarm_check_interval: float = Field(15.0, alias="ALARM_CHECK_SECONDS", ge=1, le=3600)
    # Notifications to linked chats: how often the delivery task looks for new ones, how
    # long a sender holds the ones it took (one that died frees them after that), and the
    # attempts before one is given up.
    notify_interval: float = Field(1.0, alias="NOTIFY_INTERVAL_SECONDS", gt=0, le=60)
    notify_claim_seconds: float = Field(60.0, alias="NOTIFY_CLAIM_SECONDS", gt=0)
    notify_max_attempts: int = Field(8, alias="NOTIFY_MAX_ATTEMPTS", ge=1)

    @property
    def log_json(self) -> bool:
        """JSON log lines: asked for, or by default in production."""
        return self.log_format == "json" or (self.log_format == "auto" and self.env == "production")

    @property
    def lease_seconds(self) -> float:
        """A cycle's lease outlives its hard time limit, so only a dead cycle loses it."""
        return self.cycle_time_limit + self.lease_margin

    log_level: str = Field("INFO", alias="LOG_LEVEL")
    # JSON logs (one object a line, for a log shipper) or console lines; `auto`: JSON in
    # production, console in dev.
    log_format: Literal["auto", "json", "console"] = Field("auto", alias="LOG_FORMAT")
    # With a token, GET /metrics needs `Authorization: Bearer <token>`.
    metrics_token: SecretStr | None = Field(None, alias="METRICS_TOKEN")

    @field_validator("database_url")
    @classmethod
    def _asyncpg_driver(cls, v: str | None) -> str | None:
        """Accept plain postgres URLs and use the asyncpg driver for them."""
        if v is None or v == "":
            return None
        for prefix in ("postgres://", "postgresql://", "postgresql+psycopg://"):
            if v.startswith(prefix):
                return "postgresql+asyncpg://" + v[len(prefix) :]
        return v

    @field_validator(
        "redis_url",
        "celery_broker_url",
        "binance_base_url",
        "cookie_secure",
        "ui_dist_dir",
        "telegram_bot_token",
        "telegram_webhook_url",
        "telegram_webhook_secret",
        "metrics_token",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, v: object) -> object:
        """An empty value (as in a copied `.env.example`) means "not set"."""
        return None if v == "" else v

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _webhook_secret_charset(cls, v: SecretStr | None) -> SecretStr | None:
        """Telegram accepts 1-256 characters of A-Z, a-z, 0-9, `_` and `-` as a secret."""
        if v is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", v.get_secret_value()):
            raise ValueError("use 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return v

    @field_validator("telegram_api_base_url")
    @classmethod
    def _no_trailing_slash(cls, v: str) -> str:
        return v.rstrip("/")

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxy_addresses(cls, v: str) -> str:
        """IP addresses and networks as uvicorn reads them, or `*` alone (trust everyone)."""
        # uvicorn takes anything else for a literal that never matches: a typo would silently
        # trust nobody (or, for a misplaced `*`, not everyone).
        items = [item.strip() for item in v.split(",") if item.strip()]
        if items == ["*"]:
            return "*"
        for item in items:
            try:
                ipaddress.ip_network(item)  # strict, as uvicorn: no host bits in a network
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network") from None
        return ",".join(items)

    @property
    def trusted_proxies(self) -> list[str]:
        """FORWARDED_ALLOW_IPS as a list; empty when no proxy is trusted."""
        return self.forwarded_allow_ips.split(",") if self.forwarded_allow_ips else []

    @property
    def is_dev(self) -> bool:
        return self.env == "dev"

    @property
    def embedded(self) -> bool:
        """True when no external database or Redis is configured."""
        return self.database_url is None or self.redis_url is None

    @property
    def broker_url(self) -> str:
        """Celery's broker: the configured one, else the Redis in use."""
        url = self.celery_broker_url or self.redis_url
        if url is None:
            raise ConfigError("no REDIS_URL or CELERY_BROKER_URL set")
        if url.startswith("unix://"):
            return "redis+socket://" + url[len("unix://") :]
        return url

    @property
    def fernet_keys(self) -> list[str]:
        raw = self.encryption_keys.get_secret_value() if self.encryption_keys else ""
        return [k.strip() for k in raw.split(",") if k.strip()]

    @property
    def secure_cookies(self) -> bool:
        return self.cookie_secure if self.cookie_secure is not None else not self.is_dev

    def require_urls(self) -> Settings:
        """Fail with a clear message when a part needs external services that are not set."""
        missing = [
            n
            for n, v in (("DATABASE_URL", self.database_url), ("REDIS_URL", self.redis_url))
            if not v
        ]
        if missing:
            raise ConfigError(
                f"{' and '.join(missing)} not set: run `tradebot up` for the embedded stack, "
                "or point these at your PostgreSQL and Redis"
            )
        return self

    def require_telegram(self) -> SecretStr:
        """The bot token, with what the chosen mode needs; a clear message when missing."""
        if self.telegram_bot_token is None:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN not set: create a bot with @BotFather and put its token in .env"
            )
        if self.telegram_mode == "webhook":
            missing = [
                name
                for name, value in (
                    ("TELEGRAM_WEBHOOK_URL", self.telegram_webhook_url),
                    ("TELEGRAM_WEBHOOK_SECRET", self.telegram_webhook_secret),
                )
                if value is None
            ]
            if missing:
                raise ConfigError(f"TELEGRAM_MODE=webhook needs {' and '.join(missing)}")
        return self.telegram_bot_token


def _secrets_path(settings: Settings) -> Path:
    return settings.data_dir / SECRETS_FILE


def load_generated_secrets(data_dir: Path) -> dict[str, str]:
    """Secrets generated earlier for this data directory, if any."""
    path = data_dir / SECRETS_FILE
    if not path.exists():
        return {}
    data: dict[str, str] = json.loads(path.read_text())
    return data


def save_generated_secrets(data_dir: Path, values: dict[str, str]) -> None:
    """Write secrets with mode 0600, atomically."""
    save_json_0600(data_dir / SECRETS_FILE, values)


def save_json_0600(path: Path, values: dict[str, str]) -> None:
    """Write `values` as JSON readable by the owner alone, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(values, fh)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _is_placeholder(value: SecretStr | None) -> bool:
    return value is None or value.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS


def _check_fernet_keys(keys: list[str]) -> None:
    for key in keys:
        try:
            Fernet(key.encode())
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                "ENCRYPTION_KEYS holds a value that is not a Fernet key (32 url-safe base64 "
                "bytes); generate one with `tradebot gen-key`"
            ) from exc


def finalize(settings: Settings) -> Settings:
    """Fill or refuse missing secrets.

    In dev mode missing secrets are generated once and kept in the data directory (0600) so
    restarts keep working; outside dev mode a missing or placeholder secret stops the start.
    """
    need_jwt = _is_placeholder(settings.jwt_secret)
    need_keys = not settings.fernet_keys or _is_placeholder(settings.encryption_keys)
    if need_jwt or need_keys:
        if not settings.is_dev:
            names = [
                n for n, bad in (("JWT_SECRET", need_jwt), ("ENCRYPTION_KEYS", need_keys)) if bad
            ]
            raise ConfigError(
                f"{' and '.join(names)} missing or left at a placeholder; production mode "
                "(TRADEBOT_ENV=production) needs real secrets: `tradebot gen-key` prints a "
                "Fernet key, and JWT_SECRET wants 32+ random characters"
            )
        stored = load_generated_secrets(settings.data_dir)
        changed = False
        if need_jwt and "jwt_secret" not in stored:
            stored["jwt_secret"] = secrets.token_urlsafe(48)
            changed = True
        if need_keys and "encryption_keys" not in stored:
            stored["encryption_keys"] = Fernet.generate_key().decode()
            changed = True
        if changed:
            save_generated_secrets(settings.data_dir, stored)
        update: dict[str, object] = {}
        if need_jwt:
            update["jwt_secret"] = SecretStr(stored["jwt_secret"])
        if need_keys:
            update["encryption_keys"] = SecretStr(stored["encryption_keys"])
        settings = settings.model_copy(update=update)
    if not settings.is_dev and len(settings.jwt_secret.get_secret_value()) < 32:  # type: ignore[union-attr]
        raise ConfigError("JWT_SECRET must be at least 32 characters in production mode")
    _check_fernet_keys(settings.fernet_keys)
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, secrets filled in."""
    try:
        settings = Settings()  # type: ignore[call-arg]
    except ValidationError as exc:
        # Name each setting and what is wrong with it, never the value (it may be a secret).
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(problems) from None
    return finalize(settings)
