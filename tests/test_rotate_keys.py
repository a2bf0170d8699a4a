"""`tradebot rotate-keys` re-encrypts every stored secret under a new key."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import text

from tests.conftest import Api, secret_marker
from tradebot.context import AppContext
from tradebot.security import SecretBox


async def _run_cli(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tradebot.cli",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode()


async def _stored(ctx: AppContext) -> list[tuple[str, str]]:
    async with ctx.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT encrypted_api_key, encrypted_secret_key FROM api_keys ORDER BY id")
        )
        return [(a, b) for a, b in rows.all()]


def _base_env(ctx: AppContext) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"ENCRYPTION_KEYS", "JWT_SECRET"}}
    env["DATABASE_URL"] = str(ctx.settings.database_url)
    env["REDIS_URL"] = str(ctx.settings.redis_url)
    return env


async def test_rotation_with_keys_from_the_environment(
    alice: Api, ctx: AppContext, tmp_path: Path
) -> None:
    secret = secret_marker("secret")
    await alice.request("POST", "/api-keys", json={"api_key": "K" * 16, "secret_key": secret})
    old = ctx.settings.fernet_keys[0]
    new = Fernet.generate_key().decode()
    env = _base_env(ctx) | {
        "ENCRYPTION_KEYS": f"{new},{old}",
        "JWT_SECRET": "j" * 40,
        "TRADEBOT_DATA_DIR": str(tmp_path),
    }
    code, out = await _run_cli(env, tmp_path, "rotate-keys")
    assert code == 0, out
    assert "re-encrypted 1 API keys" in out and secret not in out
    ((_, enc_secret),) = await _stored(ctx)
    assert SecretBox([new]).decrypt(enc_secret) == secret


async def test_rotation_with_generated_secrets(alice: Api, ctx: AppContext, tmp_path: Path) -> None:
    secret = secret_marker("secret")
    await alice.request("POST", "/api-keys", json={"api_key": "K" * 16, "secret_key": secret})
    old = ctx.settings.fernet_keys[0]
    (tmp_path / "secrets.json").write_text(
        json.dumps({"jwt_secret": "j" * 40, "encryption_keys": old})
    )
    env = _base_env(ctx) | {"TRADEBOT_DATA_DIR": str(tmp_path)}
    code, out = await _run_cli(env, tmp_path, "rotate-keys")
    assert code == 0, out
    stored = json.loads((tmp_path / "secrets.json").read_text())
    new = stored["encryption_keys"]
    assert new != old and "," not in new
    ((enc_key, enc_secret),) = await _stored(ctx)
    assert SecretBox([new]).decrypt(enc_secret) == secret
    assert SecretBox([new]).decrypt(enc_key) == "K" * 16
