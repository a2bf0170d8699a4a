"""`tradebot openapi`: the document the dashboard's client is generated from, no server."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tradebot.app import create_app
from tradebot.cli import app
from tradebot.config import Settings


def test_openapi_prints_the_apps_document_without_services(tmp_path: Path) -> None:
    env = {"DATABASE_URL": "", "REDIS_URL": "", "TRADEBOT_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(app, ["openapi"], env=env)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    expected = create_app(Settings(_env_file=None)).openapi()  # type: ignore[call-arg]
    assert printed == json.loads(json.dumps(expected))
    assert "/api/v1/bots/{bot_id}" in printed["paths"]
    assert not (tmp_path / "secrets.json").exists()  # nothing generated, nothing started


def test_openapi_writes_a_stable_file(tmp_path: Path) -> None:
    out = tmp_path / "openapi.json"
    assert CliRunner().invoke(app, ["openapi", "--out", str(out)]).exit_code == 0
    first = out.read_text()
    assert CliRunner().invoke(app, ["openapi", "--out", str(out)]).exit_code == 0
    assert out.read_text() == first and first.endswith("}\n")
    assert json.loads(first)["info"]["title"] == "tradebot"
