"""`tradebot telegram` runs the bot; `tradebot up` starts it when a token is set."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import Api
from tests.fakes.telegram_api import FakeBotApi
from tests.telegram.conftest import TOKEN
from tradebot.cli import app
from tradebot.config import Settings
from tradebot.db import transaction
from tradebot.engine.context import EngineContext
from tradebot.supervisor import Stack, telegram_status
from tradebot.system import health
from tradebot.telegram_links.service import issue_code


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, TRADEBOT_DATA_DIR=tmp_path, **values)  # type: ignore[call-arg]


def test_up_starts_the_bot_only_with_a_token(tmp_path: Path) -> None:
    def children(**values: object) -> list[str]:
        return [c.name for c in Stack(_settings(tmp_path, **values), 1).children]

    assert "telegram" not in children()
    assert children(TELEGRAM_BOT_TOKEN=TOKEN)[-1] == "telegram"
    webhook = {"TELEGRAM_MODE": "webhook", "TELEGRAM_WEBHOOK_URL": "https://x/y"}
    assert "telegram" not in children(TELEGRAM_BOT_TOKEN=TOKEN, **webhook)


def test_up_says_how_to_enable_the_bot(tmp_path: Path) -> None:
    said = telegram_status(_settings(tmp_path))
    assert "not started" in said and "TELEGRAM_BOT_TOKEN" in said
    assert "polling" in telegram_status(_settings(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN))


def test_the_command_refuses_to_start_without_a_token(tmp_path: Path) -> None:
    env = {
        "TRADEBOT_DATA_DIR": str(tmp_path),
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "TELEGRAM_BOT_TOKEN": "",
    }
    result = CliRunner().invoke(app, ["telegram"], env=env)
    assert result.exit_code == 2
    assert "TELEGRAM_BOT_TOKEN not set" in result.output


@pytest.mark.slow
async def test_the_command_answers_until_terminated(
    ctx: EngineContext, bot_api: FakeBotApi, alice: Api
) -> None:
    s = ctx.settings
    assert s.jwt_secret and s.encryption_keys and s.database_url and s.redis_url
    env = {
        **os.environ,
        "TRADEBOT_DATA_DIR": str(s.data_dir),
        "DATABASE_URL": s.database_url,
        "REDIS_URL": s.redis_url,
        "REDIS_KEY_PREFIX": s.redis_key_prefix,
        "JWT_SECRET": s.jwt_secret.get_secret_value(),
        "ENCRYPTION_KEYS": s.encryption_keys.get_secret_value(),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": bot_api.url,
        "TELEGRAM_POLL_TIMEOUT": "1",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tradebot.cli",
        "telegram",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    async with transaction(ctx.sessions) as session:
        code = (await issue_code(session, alice.user_id, 600)).code
    try:
        reply = await bot_api.chat(1001).ask("/help", timeout=30)
        assert "/help" in reply.text
        assert (await bot_api.chat(1001).ask(f"/link {code}")).text.startswith("Linked")
        # The polling bot's heartbeat, for /ready and tradebot doctor.
        ages = await health.heartbeat_ages(ctx.redis, ctx.keys)
        assert ages["telegram"] is not None and ages["telegram"] < 15
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, output.decode()
    assert TOKEN not in output.decode() and code not in output.decode()
    assert "bot<bot-token>/getUpdates" in output.decode()
