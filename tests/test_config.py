from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tradebot.config import ConfigError, Settings, finalize, get_settings


def _settings(tmp_path: Path, **values: object) -> Settings:
    base: dict[str, object] = {"TRADEBOT_DATA_DIR": tmp_path}
    base.update(values)
    return Settings(_env_file=None, **base)  # type: ignore[arg-type]


def test_dev_mode_generates_secrets_once_with_mode_0600(tmp_path: Path) -> None:
    first = finalize(_settings(tmp_path))
    assert first.jwt_secret is not None and len(first.jwt_secret.get_secret_value()) >= 32
    assert len(first.fernet_keys) == 1
    secrets_file = tmp_path / "secrets.json"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    again = finalize(_settings(tmp_path))
    assert again.jwt_secret == first.jwt_secret and again.fernet_keys == first.fernet_keys


@pytest.mark.parametrize("jwt", [None, "", "change-me", "secret"])
def test_production_refuses_missing_or_placeholder_secrets(tmp_path: Path, jwt: str | None) -> None:
    values: dict[str, object] = {
        "TRADEBOT_ENV": "production",
        "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    }
    if jwt is not None:
        values["JWT_SECRET"] = jwt
    with pytest.raises(ConfigError, match="JWT_SECRET"):
        finalize(_settings(tmp_path, **values))
    assert not (tmp_path / "secrets.json").exists()


def test_production_refuses_missing_encryption_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ENCRYPTION_KEYS"):
        finalize(_settings(tmp_path, TRADEBOT_ENV="production", JWT_SECRET="x" * 40))


def test_bad_fernet_key_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a Fernet key") as info:
        finalize(_settings(tmp_path, ENCRYPTION_KEYS="not-a-key", JWT_SECRET="x" * 40))
    assert "not-a-key" not in str(info.value)


def test_production_accepts_real_secrets(tmp_path: Path) -> None:
    s = finalize(
        _settings(
            tmp_path,
            TRADEBOT_ENV="production",
            JWT_SECRET="y" * 40,
            ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        )
    )
    assert s.secure_cookies is True


def test_urls_and_broker(tmp_path: Path) -> None:
    s = _settings(tmp_path, DATABASE_URL="postgres://u@h/db", REDIS_URL="unix:///tmp/r.sock")
    assert s.database_url == "postgresql+asyncpg://u@h/db"
    assert s.broker_url == "redis+socket:///tmp/r.sock"
    s = _settings(
        tmp_path, REDIS_URL="redis://h:6379/0", CELERY_BROKER_URL="amqp://guest:guest@h:5672//"
    )
    assert s.broker_url.startswith("amqp://")
    assert _settings(tmp_path).embedded is True


def test_secrets_do_not_show_in_repr(tmp_path: Path) -> None:
    s = _settings(tmp_path, JWT_SECRET="z" * 40, ENCRYPTION_KEYS=Fernet.generate_key().decode())
    assert "zzzz" not in repr(s) and "zzzz" not in str(s.model_dump())


def test_settings_are_frozen(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    with pytest.raises(Exception, match="frozen"):
        s.api_port = 1  # type: ignore[misc]


def test_the_example_env_file_loads_and_lists_every_setting(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[1] / ".env.example"
    s = Settings(_env_file=example, TRADEBOT_DATA_DIR=tmp_path)  # type: ignore[call-arg]
    assert s.database_url is None and s.cookie_secure is None and s.binance_base_url is None
    assert s.ui_dist_dir is None  # empty means the checkout's build, never the current directory
    assert s.jwt_secret is not None and s.jwt_secret.get_secret_value() == "change-me"
    with pytest.raises(ConfigError):  # its placeholders never pass in production
        finalize(Settings(_env_file=example, TRADEBOT_ENV="production", TRADEBOT_DATA_DIR=tmp_path))  # type: ignore[call-arg]
    listed = {
        line.split("=", 1)[0].strip()
        for line in example.read_text().splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    aliases = {f.alias for f in Settings.model_fields.values() if f.alias}
    assert aliases <= listed, sorted(aliases - listed)


@pytest.mark.parametrize(
    ("value", "trusted"),
    [
        ("", []),
        (" 127.0.0.1 , 10.0.0.0/8,::1 ", ["127.0.0.1", "10.0.0.0/8", "::1"]),
        ("*", ["*"]),
    ],
)
def test_forwarded_allow_ips(tmp_path: Path, value: str, trusted: list[str]) -> None:
    assert _settings(tmp_path, FORWARDED_ALLOW_IPS=value).trusted_proxies == trusted


@pytest.mark.parametrize("value", ["127.0.0.l", "10.0.0.1/8", "127.0.0.1,*", "proxy.internal"])
def test_forwarded_allow_ips_refuses_what_uvicorn_would_never_match(
    tmp_path: Path, value: str
) -> None:
    with pytest.raises(ValueError, match="is not an IP address or network"):
        _settings(tmp_path, FORWARDED_ALLOW_IPS=value)


def test_an_invalid_setting_names_the_setting_not_its_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("API_PORT", "not-a-port-3f9a")
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigError, match="API_PORT") as err:
            get_settings()
    finally:
        get_settings.cache_clear()
    assert "not-a-port-3f9a" not in str(err.value)
