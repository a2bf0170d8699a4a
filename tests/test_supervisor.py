"""`tradebot up` says it is up only once the API answers, and says so when it cannot."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tradebot.config import Settings, save_json_0600
from tradebot.supervisor import RUNNING_FILE, Child, Stack, running_services

# An API stand-in: listens only after a delay, then answers the health check.
FAKE_API = """
import sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer

class Health(BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path == "/api/v1/health"
        self.send_response(200 if ok else 404)
        self.end_headers()
        self.wfile.write(b'{"status":"ok"}' if ok else b"")

    def log_message(self, *args):
        pass

time.sleep(float(sys.argv[2]))
HTTPServer(("127.0.0.1", int(sys.argv[1])), Health).serve_forever()
"""
SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


@pytest.fixture
def signals() -> Iterator[None]:
    """`Stack.run` installs its own handlers; the test run gets its own back."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


def _stack(tmp_path: Path, port: int, api: list[str]) -> Stack:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        TRADEBOT_DATA_DIR=tmp_path,
        DATABASE_URL="postgresql://nobody@127.0.0.1:1/none",
        REDIS_URL="redis://127.0.0.1:1/0",
        API_PORT=port,
    )
    stack = Stack(settings, worker_concurrency=1)
    stack.children = [Child("api", api), Child("worker", SLEEPER)]
    return stack


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


class _Console(io.StringIO):
    """stdout that checks, at the moment `up` is printed, whether the API answers."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.answered_when_up: bool | None = None

    def write(self, text: str) -> int:
        if "tradebot is up" in text and self.answered_when_up is None:
            self.answered_when_up = _answers(self.url)
            os.kill(os.getpid(), signal.SIGINT)  # then stop, as Ctrl+C would
        return super().write(text)


def test_up_is_printed_once_the_api_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signals: None
) -> None:
    port = free_port()
    stack = _stack(tmp_path, port, [sys.executable, "-c", FAKE_API, str(port), "2"])
    console = _Console(stack.url)
    monkeypatch.setattr(sys, "stdout", console)
    try:
        code = stack.run(stack.env())
    finally:
        stack.stop()
    assert code == 0
    assert f"tradebot is up: http://127.0.0.1:{port}" in console.getvalue()
    assert console.answered_when_up is True
    assert not any(child.alive() for child in stack.children)


def _refused(stack: Stack, capsys: pytest.CaptureFixture[str]) -> str:
    """Run a stack that cannot come up: exit code 1, no `up` line; what it said on stderr."""
    try:
        code = stack.run(stack.env())
    finally:
        stack.stop()
    out = capsys.readouterr()
    assert code == 1
    assert "tradebot is up" not in out.out
    return out.err


def test_an_api_that_exits_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], signals: None
) -> None:
    stack = _stack(tmp_path, free_port(), [sys.executable, "-c", "raise SystemExit(3)"])
    assert "did not come up: the API exited (code 3)" in _refused(stack, capsys)
    assert not any(child.alive() for child in stack.children)


def test_a_taken_port_is_reported_before_anything_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], signals: None
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        stack = _stack(tmp_path, port, [sys.executable, "-c", FAKE_API, str(port), "0"])
        said = _refused(stack, capsys)
    assert f"something already listens on http://127.0.0.1:{port}" in said
    assert all(child.proc is None for child in stack.children)


def test_other_commands_find_the_services_only_while_up_runs(tmp_path: Path) -> None:
    urls = {
        "DATABASE_URL": "postgresql+asyncpg://postgres@/tradebot?host=/s",
        "REDIS_URL": "unix:///r",
    }
    save_json_0600(tmp_path / RUNNING_FILE, {"pid": str(os.getpid()), **urls})
    assert running_services(tmp_path) == urls
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    save_json_0600(tmp_path / RUNNING_FILE, {"pid": gone.stdout.strip(), **urls})
    assert running_services(tmp_path) == {}  # a `tradebot up` that died without cleaning up
    assert running_services(tmp_path / "elsewhere") == {}


def test_a_new_data_directory_is_made_even_with_urls_set(tmp_path: Path) -> None:
    # Beat writes its schedule there: without the directory it dies at start, again and again.
    data = tmp_path / "new" / "data"
    env = _stack(data, free_port(), SLEEPER).start_services()
    assert data.is_dir() and env["TRADEBOT_DATA_DIR"] == str(data.resolve())
