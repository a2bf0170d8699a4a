"""`tradebot doctor`: a table of every part, exit 1 while one is wrong, 0 once all are well."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from redis import Redis

from tests.engine.processes import stack_env
from tradebot.config import Settings
from tradebot.redis_client import Keys
from tradebot.system.health import heartbeat_key


def _doctor(settings: Settings, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = stack_env(settings, tmp_path)
    return subprocess.run(
        [sys.executable, "-m", "tradebot.cli", "doctor"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )


def test_doctor_names_what_is_wrong_then_passes(settings: Settings, tmp_path: Path) -> None:
    redis = Redis.from_url(str(settings.redis_url))
    keys = Keys(settings.redis_key_prefix)
    for part in ("worker", "beat"):
        redis.delete(heartbeat_key(keys, part))
    found = _doctor(settings, tmp_path)
    assert found.returncode == 1, found.stderr
    rows = {line.split()[0]: line for line in found.stdout.splitlines()[1:]}
    assert set(rows) >= {"tradebot", "database", "redis", "broker", "worker", "beat", "telegram"}
    assert "FAIL   never seen" in rows["worker"]
    assert "ok     PostgreSQL" in rows["database"] and "(latest)" in rows["database"]
    assert "waiting: cycles" in rows["broker"]
    for part in ("worker", "beat"):
        redis.set(heartbeat_key(keys, part), f"{time.time():.3f}", ex=60)
    try:
        found = _doctor(settings, tmp_path)
        assert found.returncode == 0, found.stdout + found.stderr
        assert "FAIL" not in found.stdout and "exchange budget" in found.stdout
    finally:
        for part in ("worker", "beat"):
            redis.delete(heartbeat_key(keys, part))
