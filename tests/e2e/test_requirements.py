"""Without its browser or Node the browser suite skips on a workstation and fails under CI."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import unavailable


def test_missing_tools_fail_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="cannot run under CI: no Chromium"):
        unavailable("no Chromium")


def test_missing_tools_skip_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no Chromium"):
        unavailable("no Chromium")
