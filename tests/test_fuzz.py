"""Schemathesis against the running API: every operation but the status streams (which never
end, so a fuzzer stalls on them; tests/test_status_stream.py reads them directly), valid and
invalid input, schemathesis's standard checks, signed in as a real user. 0 failures."""

from __future__ import annotations

import asyncio
import re
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.conftest import free_port, secret_marker
from tests.engine.conftest import engine_settings
from tradebot.app import create_app
from tradebot.config import Settings

MAX_EXAMPLES = 30
SEED = 20261202
pytestmark = pytest.mark.slow


@pytest.fixture
def live_api(settings: Settings, tmp_path: Path, ctx: object) -> Iterator[str]:
    """The app on a loopback port, in a thread with its own event loop (schemathesis calls
    it synchronously). `ctx` makes the suite empty the tables afterwards."""
    port = free_port()
    app = create_app(engine_settings(settings, tmp_path))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def _sign_in(base: str) -> dict[str, str]:
    email, password = f"fuzz-{uuid.uuid4().hex[:8]}@example.com", secret_marker("pw")
    body = {"email": email, "password": password}
    assert requests.post(f"{base}/api/v1/auth/register", json=body, timeout=10).status_code == 201
    r = requests.post(f"{base}/api/v1/auth/login", json=body, timeout=10)
    assert r.status_code == 200
    # something for the id-taking operations to find
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    bot = {
        "name": "fuzz",
        "symbol": "BTC/USDT",
        "timeframe": "1h",
        "stop_loss_perc": "2",
        "take_profit_perc": "4",
        "position_size_perc": "10",
    }
    assert requests.post(f"{base}/api/v1/bots", json=bot, headers=headers, timeout=10).ok
    return headers


def test_schemathesis_finds_no_failure(live_api: str) -> None:
    headers = _sign_in(live_api)
    schema = schemathesis.openapi.from_url(f"{live_api}/api/v1/openapi.json")
    schema = schema.exclude(path_regex="status-stream$")
    operations = [result.ok() for result in schema.get_all_operations()]
    session = requests.Session()
    calls, failures = 0, []

    def fuzz(operation: schemathesis.APIOperation, mode: GenerationMode) -> None:
        label = f"{operation.label} [{mode.value}]"

        @seed(SEED)
        @settings(
            max_examples=MAX_EXAMPLES,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: schemathesis.Case) -> None:
            nonlocal calls
            calls += 1
            # The email validator refuses special-use domains (`x@y.test`), which JSON Schema's
            # `format: email` cannot say; every other operation must accept what its schema
            # allows.
            excluded = (
                [positive_data_acceptance] if operation.path.endswith("/auth/register") else []
            )
            if operation.path.endswith("/ready"):
                # No worker runs here: /ready's documented 503 (a part is silent) is its
                # right answer, not a server error.
                excluded.append(not_a_server_error)
            try:
                case.call_and_validate(
                    session=session, headers=headers, timeout=10, excluded_checks=excluded
                )
            except (Failure, FailureGroup) as exc:
                kinds = re.findall(r"^- (ST\d+ .+)$", str(exc), re.MULTILINE)
                failures.append(f"{label}: {', '.join(kinds)}\n{exc}"[:3000])

        try:
            run()
        except Unsatisfiable:  # nothing to make invalid (an operation without input)
            assert mode is GenerationMode.NEGATIVE

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation, mode)

    print(
        f"\nschemathesis: {len(operations)} operations, {calls} requests, "
        f"{len(failures)} failures (max {MAX_EXAMPLES} examples per operation and mode, "
        f"seed {SEED})"
    )
    for kind in sorted({f.split("\n", 1)[0] for f in failures}):
        print("  failure:", kind)
    assert not failures, "\n\n".join(failures[:10])
