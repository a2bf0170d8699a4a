"""The embedded servers `tradebot up` starts: stopping them leaves nothing running."""

from __future__ import annotations

from pathlib import Path

import psutil
import redis

from tradebot.embedded import EmbeddedRedis


def test_redis_stops_and_keeps_its_data_while_other_clients_are_connected(
    tmp_path: Path,
) -> None:
    server = EmbeddedRedis(tmp_path)
    url = server.start()
    pid = server._client.pid  # type: ignore[attr-defined]
    other = redis.Redis.from_url(url)
    other.set("kept", "yes")
    listener = other.pubsub()
    listener.subscribe("channel")
    try:
        server.stop()
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"
    finally:
        listener.close()
        other.close()
    again = EmbeddedRedis(tmp_path)
    client = redis.Redis.from_url(again.start())
    try:
        assert client.get("kept") == b"yes"
    finally:
        client.close()
        again.stop()
