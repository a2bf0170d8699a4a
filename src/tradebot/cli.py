"""`tradebot` command line: run the whole stack or each part, migrate, rotate keys."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from tradebot.config import Settings
    from tradebot.security import SecretBox

app = typer.Typer(
    help="tradebot: self-hosted multi-user crypto trading bots.", no_args_is_help=True
)

PortOpt = Annotated[int | None, typer.Option("--port", help="API port (env API_PORT)")]
HostOpt = Annotated[str | None, typer.Option("--host", help="API bind address (env API_HOST)")]
DataOpt = Annotated[
    Path | None, typer.Option("--data-dir", help="Data directory (env TRADEBOT_DATA_DIR)")
]


def _env_overrides(
    host: str | None = None, port: int | None = None, data_dir: Path | None = None
) -> None:
    """Command-line options win over the environment; children inherit them."""
    if host:
        os.environ["API_HOST"] = host
    if port:
        os.environ["API_PORT"] = str(port)
    if data_dir:
        os.environ["TRADEBOT_DATA_DIR"] = str(data_dir.resolve())


def _settings() -> Settings:
    from tradebot.config import ConfigError, get_settings
    from tradebot.logging_setup import setup

    try:
        settings = get_settings()
    except ConfigError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from None
    setup(settings.log_level, "json" if settings.log_json else "console")
    return settings


def _require_urls(settings: Settings, attach: bool = False) -> Settings:
    """The settings, with DATABASE_URL and REDIS_URL set; exit with a clear message if not.

    `attach`: when they are not configured, use the embedded services of a `tradebot up`
    running on the same data directory (for the administrative commands).
    """
    from tradebot.config import ConfigError, get_settings

    if attach and settings.embedded:
        from tradebot.supervisor import running_services

        found = running_services(settings.data_dir.resolve())
        missing = {k: v for k, v in found.items() if not os.environ.get(k)}
        if missing:
            os.environ.update(missing)
            get_settings.cache_clear()
            settings = _settings()
            typer.echo("using the embedded services of the running `tradebot up`", err=True)
    try:
        return settings.require_urls()
    except ConfigError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command()
def up(
    host: HostOpt = None,
    port: PortOpt = None,
    data_dir: DataOpt = None,
    concurrency: Annotated[int, typer.Option(help="Celery worker processes")] = 2,
) -> None:
    """Run everything: embedded PostgreSQL + Redis unless URLs are set, then API, workers, beat
    and, with TELEGRAM_BOT_TOKEN set, the Telegram bot."""
    _env_overrides(host, port, data_dir)
    settings = _settings()
    from tradebot import migrate
    from tradebot.supervisor import Stack

    stack = Stack(settings, concurrency)
    try:
        env = stack.start_services()
        migrate.upgrade(env["DATABASE_URL"])
        code = stack.run(env)
    finally:
        stack.stop()
    raise typer.Exit(code)


@app.command()
def api(host: HostOpt = None, port: PortOpt = None, workers: int = 1) -> None:
    """Run the API server alone (needs DATABASE_URL and REDIS_URL)."""
    _env_overrides(host, port)
    settings = _settings()
    _require_urls(settings)
    import uvicorn

    uvicorn.run("tradebot.app:create_app", **uvicorn_options(settings, workers))


def uvicorn_options(settings: Settings, workers: int = 1) -> dict[str, Any]:
    """How `tradebot api` runs uvicorn (besides the app itself).

    Forwarded headers are believed only from FORWARDED_ALLOW_IPS: uvicorn's own default
    trusts 127.0.0.1, which lets any local client choose its address.
    """
    proxies = settings.trusted_proxies
    return {
        "factory": True,
        "host": settings.api_host,
        "port": settings.api_port,
        "workers": workers,
        "log_config": None,
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": proxies,
        "timeout_graceful_shutdown": 10,
    }


MetricsPortOpt = Annotated[
    int,
    typer.Option(
        help="Serve this process's metrics (with PROMETHEUS_MULTIPROC_DIR: its children's "
        "too) on this port at /metrics, for a host whose API does not share the directory; "
        "0: off"
    ),
]


def _serve_metrics(port: int) -> None:
    if port:
        from prometheus_client import start_http_server

        from tradebot import metrics

        start_http_server(port, registry=metrics.registry())


@app.command()
def worker(
    concurrency: int = 2,
    pool: str = "prefork",
    queues: Annotated[
        str,
        typer.Option(
            help="Comma-separated: cycles, dispatch, background (collector, alarms, "
            "notifications), backtests (a backtest-only worker keeps long backtests away from "
            "the bots' cycles)"
        ),
    ] = "cycles,dispatch,background,backtests",
    metrics_port: MetricsPortOpt = 0,
) -> None:
    """Run a Celery worker alone."""
    settings = _settings()
    _require_urls(settings)
    _serve_metrics(metrics_port)
    from tradebot.logging_setup import demote_task_lines
    from tradebot.worker.celery_app import app as celery
    from tradebot.worker.factory import QUEUE_KINDS, QUIET_TASKS, queue_name

    kinds = [k.strip() for k in queues.split(",") if k.strip()]
    unknown = sorted(set(kinds) - set(QUEUE_KINDS))
    if unknown or not kinds:
        typer.echo(f"--queues takes one or more of {', '.join(QUEUE_KINDS)}", err=True)
        raise typer.Exit(2)
    demote_task_lines(*QUIET_TASKS)
    celery.worker_main(
        [
            "worker",
            f"--concurrency={concurrency}",
            f"--pool={pool}",
            f"--queues={','.join(queue_name(settings, k) for k in kinds)}",
            "--loglevel=INFO",
            f"--hostname=tradebot-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
        ]
    )


@app.command()
def beat() -> None:
    """Run the Celery Beat scheduler alone (one per installation)."""
    settings = _settings()
    _require_urls(settings)
    from tradebot.logging_setup import demote_task_lines
    from tradebot.worker import beat_heartbeat
    from tradebot.worker.celery_app import app as celery
    from tradebot.worker.factory import QUIET_TASKS

    demote_task_lines(*QUIET_TASKS)
    beat_heartbeat.install(settings)
    celery.start(["beat", "--loglevel=INFO"])


@app.command()
def telegram(metrics_port: MetricsPortOpt = 0) -> None:
    """Run the Telegram bot alone, polling for updates (needs TELEGRAM_BOT_TOKEN)."""
    from tradebot.config import ConfigError

    settings = _require_urls(_settings())
    try:
        settings.require_telegram()
    except ConfigError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from None
    if settings.telegram_mode == "webhook":
        typer.echo(
            "TELEGRAM_MODE=webhook: the API serves the bot (`tradebot api`); nothing to poll",
            err=True,
        )
        raise typer.Exit(2)
    from tradebot.telegram.app import serve_polling

    _serve_metrics(metrics_port)
    asyncio.run(serve_polling(settings))


@app.command("telegram-commands")
def telegram_commands() -> None:
    """Print the Telegram bot's commands as a Markdown table (from the handlers' metadata)."""
    from tradebot.telegram.loader import command_table, load_registry

    typer.echo(command_table(load_registry()))


@app.command()
def migrate(revision: str = "head") -> None:
    """Bring the database schema up to date."""
    settings = _require_urls(_settings(), attach=True)
    from tradebot import migrate as mig

    mig.upgrade(str(settings.database_url), revision)
    typer.echo(f"database at {revision}")


@app.command()
def doctor() -> None:
    """Every part's state, versions, queue depths and the exchange budget; exit 1 when
    something is wrong."""
    settings = _require_urls(_settings(), attach=True)
    from tradebot.system.doctor import diagnose, table

    async def run() -> list[Any]:
        from tradebot.engine.context import EngineContext

        ctx = EngineContext.create(settings, role="doctor")
        try:
            return await diagnose(ctx)
        finally:
            await ctx.close()

    rows = asyncio.run(run())
    typer.echo(table(rows))
    if not all(r.ok for r in rows):
        raise typer.Exit(1)


@app.command("deactivate-user")
def deactivate_user(email: str) -> None:
    """Deactivate an account: its tokens stop working and its open streams end."""
    settings = _require_urls(_settings(), attach=True)
    found = asyncio.run(_deactivate(settings, email))
    if not found:
        typer.echo(f"no user with email {email}", err=True)
        raise typer.Exit(1)
    typer.echo(f"deactivated {email}")


async def _deactivate(settings: Settings, email: str) -> bool:
    from tradebot.auth.service import deactivate
    from tradebot.context import AppContext

    ctx = AppContext.create(settings)
    try:
        async with ctx.sessions.begin() as session:
            return await deactivate(ctx, session, email) is not None
    finally:
        await ctx.close()


@app.command()
def openapi(
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of stdout")
    ] = None,
) -> None:
    """Print the API's OpenAPI document (JSON) without starting any server."""
    import json

    from tradebot.app import create_app
    from tradebot.config import Settings

    # The document depends on the routes only: no database, Redis or secrets are needed.
    document = create_app(Settings()).openapi()  # type: ignore[call-arg]
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")


@app.command("gen-key")
def gen_key() -> None:
    """Print a new Fernet key for ENCRYPTION_KEYS."""
    from cryptography.fernet import Fernet

    typer.echo(Fernet.generate_key().decode())


@app.command("rotate-keys")
def rotate_keys() -> None:
    """Re-encrypt every stored exchange secret under a new key.

    With generated secrets (the data directory) a new key is made, everything is re-encrypted
    and the old key is dropped. With ENCRYPTION_KEYS set, put the new key first (`new,old`),
    run this, then remove the old key.
    """
    from tradebot.config import Settings, load_generated_secrets, save_generated_secrets

    settings = _settings()
    # Not the running `up`'s services: its processes hold the old key alone and could not
    # read what this re-encrypts.
    _require_urls(settings)
    from cryptography.fernet import Fernet

    from tradebot.security import SecretBox

    raw = Settings()  # type: ignore[call-arg]
    from_file = not raw.fernet_keys
    keys = settings.fernet_keys
    if from_file:
        # Keep the new key on disk before any row depends on it, the old one until all moved.
        keys = [Fernet.generate_key().decode(), *keys]
        stored = load_generated_secrets(settings.data_dir)
        stored["encryption_keys"] = ",".join(keys)
        save_generated_secrets(settings.data_dir, stored)
    count = asyncio.run(_reencrypt(settings, SecretBox(keys)))
    if from_file:
        stored["encryption_keys"] = keys[0]
        save_generated_secrets(settings.data_dir, stored)
        typer.echo(f"re-encrypted {count} API keys under a new key; the old key is retired")
    else:
        typer.echo(
            f"re-encrypted {count} API keys under the first key of ENCRYPTION_KEYS; "
            "the other keys can now be removed"
        )


async def _reencrypt(settings: Settings, box: SecretBox) -> int:
    from tradebot.api_keys.service import reencrypt_all
    from tradebot.db import make_engine, make_sessionmaker, transaction

    engine = make_engine(settings)
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            return await reencrypt_all(session, box)
    finally:
        await engine.dispose()


def _register_backtest() -> None:
    from tradebot.backtest.cli import backtest

    app.command(
        "backtest", help="Backtest a bot config on a CSV/Parquet file, demo or Binance candles."
    )(backtest)


_register_backtest()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
