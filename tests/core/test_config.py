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


REFUSED = [
    ("AI_ENGINE", "gpt", "must be builtin or llm, not 'gpt'"),
    ("EMBEDDER", "foo", "must be builtin, minilm, sentence-transformers:PATH"),
    ("TIME_ZONE", "Mars/Base", "unknown time zone 'Mars/Base'"),
    ("COMMENT_RATE_LIMIT", "five", "expected COUNT/SECONDS"),
    ("AI_RATE_LIMIT", "0/60", "expected COUNT/SECONDS"),
    ("MAX_BODY_BYTES", "-5", "must be at least 1, not -5"),
    ("POLL_MIN_INTERVAL", "-1", "must be at least 1, not -1"),
    ("CONNECT_TIMEOUT", "nan", "expected a finite number, got 'nan'"),
    ("LLM_TIMEOUT", "0", "must be more than 0 seconds"),
    ("PER_HOST_DELAY", "-0.5", "must be 0 seconds or more"),
    ("PORT", "99999", "must be a port number from 1 to 65535, not 99999"),
    ("DEMO_PORT", "0", "must be a port number from 1 to 65535, not 0"),
    ("PAGE_CACHE", "redis", "must be file, db, memory or none"),
    ("LLM_URL", "localhost:11434/v1", "expected an http:// or https:// URL"),
    ("EMAIL_URL", "carrier-pigeon://x", "expected console:, file:PATH or smtp://"),
    ("DATABASE_URL", "garbage", "not a URL"),
    ("DATABASE_URL", "mysql://u@db.example/news", "SQLite, not mysql"),
    ("DATABASE_URL", "postgres://u@db.example", "names no database"),
    ("TIME_ZONE", "Europe", "unknown time zone 'Europe'"),  # a directory of zones
]


@pytest.mark.parametrize(("name", "raw", "said"), REFUSED)
def test_each_setting_refuses_a_value_it_cannot_use(name: str, raw: str, said: str) -> None:
    with pytest.raises(ConfigError) as info:
        config.read(name, {f"TIDINGS_{name}": raw})
    assert str(info.value).startswith(f"TIDINGS_{name}: ") and said in str(info.value)


@pytest.mark.parametrize(
    ("name", "raw", "value"),
    [
        ("AI_ENGINE", " LLM ", "llm"),
        ("EMBEDDER", "openai:text-embedding-3-small", "openai:text-embedding-3-small"),
        ("TIME_ZONE", "Europe/Paris", "Europe/Paris"),
        ("PER_HOST_DELAY", "0", 0.0),
        ("COMMENT_HOLD_FIRST", "0", 0),
        ("PORT", "65535", 65535),
        (
            "DATABASE_URL",
            "postgresql://u@db.example:5432/news",
            "postgresql://u@db.example:5432/news",
        ),
        ("EMAIL_URL", "smtps://u:p@mail.example", "smtps://u:p@mail.example"),
        # The database named by a libpq service (pg_service.conf).
        ("DATABASE_URL", "postgres:///?service=tidings", "postgres:///?service=tidings"),
    ],
)
def test_values_at_the_edges_are_accepted(name: str, raw: str, value: object) -> None:
    assert config.read(name, {f"TIDINGS_{name}": raw}) == value


def test_data_dir_cannot_be_a_file(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("")
    for raw in (str(afile), str(afile / "data")):
        with pytest.raises(ConfigError, match=r"TIDINGS_DATA_DIR: .* a file, not a directory"):
            config.read("DATA_DIR", {"TIDINGS_DATA_DIR": raw})
    assert config.read("DATA_DIR", {"TIDINGS_DATA_DIR": str(tmp_path / "new")})


def test_cli_config_reports_every_refused_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, raw, _ in REFUSED[:8]:
        monkeypatch.setenv(f"TIDINGS_{name}", raw)
    monkeypatch.setenv("TIDINGS_DATABASE_URL", "mysql://reader:hunter2@db.example/news")
    assert cli.main(["config"]) == 1
    out, err = capsys.readouterr()
    assert "TIDINGS_AI_ENGINE=gpt" in out  # still listed, as written
    lines = err.splitlines()
    assert len(lines) == 9 and all(
        line.startswith("tidings: error: TIDINGS_") and line.endswith(" [config]") for line in lines
    )
    for name, _, said in REFUSED[:8]:
        assert any(f"TIDINGS_{name}: " in line and said in line for line in lines), name
    assert "hunter2" not in out + err
    assert "Traceback" not in err
    assert cli.main(["config", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["AI_ENGINE"] == "gpt"


def test_worker_and_poll_refuse_to_start_on_a_refused_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TIDINGS_CONNECT_TIMEOUT", "nan")
    for command in (["worker"], ["poll", "--once"]):
        assert cli.main(command) == 1
        err = capsys.readouterr().err
        assert (
            err
            == "tidings: error: TIDINGS_CONNECT_TIMEOUT: expected a finite number, got 'nan' [config]\n"
        )


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
