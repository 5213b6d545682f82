"""The settings table: declared once, read from TIDINGS_* variables, printed by `tidings config`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tidings import cli
from tidings.core import config
from tidings.core.errors import ConfigError


def test_every_setting_is_declared_once_with_help() -> None:
    names = [s.name for s in config.SETTINGS]
    assert len(names) == len(set(names))
    for spec in config.SETTINGS:
        assert spec.help.strip(), spec.name
        assert spec.env == f"TIDINGS_{spec.name}"


def test_defaults_parse_to_their_types() -> None:
    values = config.read_all({})
    assert values["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]"]
    assert values["DEBUG"] is False
    assert values["MAX_BODY_BYTES"] == 10 * 1024 * 1024
    assert values["ALLOW_HOSTS"] == []


def test_environment_overrides_and_parsing() -> None:
    env = {
        "TIDINGS_DEBUG": "yes",
        "TIDINGS_PORT": "9000",
        "TIDINGS_ALLOW_HOSTS": "127.0.0.1, a.test",
    }
    assert config.read("DEBUG", env) is True
    assert config.read("PORT", env) == 9000
    assert config.read("ALLOW_HOSTS", env) == ["127.0.0.1", "a.test"]


@pytest.mark.parametrize(("name", "raw"), [("PORT", "eighty"), ("DEBUG", "maybe")])
def test_bad_values_are_clear_errors(name: str, raw: str) -> None:
    with pytest.raises(ConfigError) as info:
        config.read(name, {f"TIDINGS_{name}": raw})
    assert f"TIDINGS_{name}" in str(info.value)


def test_unknown_setting_is_an_error() -> None:
    with pytest.raises(ConfigError):
        config.read("NO_SUCH_THING", {})


def test_cli_config_json_hides_secrets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TIDINGS_LLM_API_KEY", "sk-very-secret")
    monkeypatch.setenv("TIDINGS_PORT", "8123")
    assert cli.main(["config", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["PORT"] == 8123
    assert out["LLM_API_KEY"] == "***"
    assert set(out) == {s.name for s in config.SETTINGS}


def test_cli_config_table_lists_every_setting(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["config"]) == 0
    out = capsys.readouterr().out
    for spec in config.SETTINGS:
        assert spec.name in out


def test_serve_refuses_the_sample_publishers_port(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TIDINGS_DEMO", "true")
    monkeypatch.setenv("TIDINGS_PORT", "8765")
    monkeypatch.setenv("TIDINGS_DEMO_PORT", "8765")
    assert cli.main(["serve", "--no-worker"]) == 1
    err = capsys.readouterr().err
    assert "cannot both listen on port 8765" in err and "[config]" in err


def test_postgresql_queries_are_prepared_unless_the_url_says_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tidings.web import settings as web_settings

    monkeypatch.setenv("TIDINGS_DATABASE_URL", "postgres://reader@db.example:5432/news")
    options = web_settings._databases()["default"]["OPTIONS"]
    assert options == {"server_side_binding": True, "prepare_threshold": 5}
    pooled = "postgres://reader@db.example:5432/news?server_side_binding=false"
    monkeypatch.setenv("TIDINGS_DATABASE_URL", pooled)
    assert web_settings._databases()["default"]["OPTIONS"]["server_side_binding"] is False


@pytest.mark.parametrize(("setting", "expected"), [(None, 1024 << 20), ("0", 0), ("64", 64 << 20)])
def test_sqlite_connections_read_through_a_memory_map(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, setting: str | None, expected: int
) -> None:
    import sqlite3

    from tidings.web import settings as web_settings

    monkeypatch.setenv("TIDINGS_DATABASE_URL", "")
    if setting is not None:
        monkeypatch.setenv("TIDINGS_SQLITE_MMAP_MB", setting)
    else:
        monkeypatch.delenv("TIDINGS_SQLITE_MMAP_MB", raising=False)
    init = web_settings._databases()["default"]["OPTIONS"]["init_command"]
    db = sqlite3.connect(tmp_path / "site.sqlite3")
    db.executescript(init)  # what Django runs on every new connection
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA mmap_size").fetchone()[0] == expected
    db.close()
