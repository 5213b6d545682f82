"""What the ``tidings`` command says when the operator's setup is wrong: one line on stderr,
``tidings: error: <what> [<code>]``, a non-zero exit status and no traceback."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ingest._proc import ROOT, command, product_env
from tidings import cli


def tidings(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The command in a child process (its own settings, its own database)."""
    return subprocess.run(
        command(*args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def refused(proc: subprocess.CompletedProcess[str], message: str, code: str) -> None:
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == f"tidings: error: {message} [{code}]\n"


def test_a_database_never_migrated_is_told_to_migrate(database_url: str, tmp_path: Path) -> None:
    env = product_env(tmp_path / "data", database_url)
    for args in (["sources"], ["articles"], ["export-opml"], ["ai", "summarize", "0" * 32]):
        refused(
            tidings(env, *args),
            "the database has no Tidings tables yet: run `tidings migrate` first",
            "database_not_migrated",
        )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_a_database_that_cannot_be_opened_is_named_with_the_reason(tmp_path: Path) -> None:
    url = f"postgresql://postgres@127.0.0.1:{_closed_port()}/news"
    proc = tidings(product_env(tmp_path / "data", url), "sources")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(
        "tidings: error: cannot use the database of TIDINGS_DATABASE_URL: "
    )
    assert "Connection refused" in proc.stderr
    assert proc.stderr.endswith(" [database_unavailable]\n") and proc.stderr.count("\n") == 1
    proc = tidings(product_env(tmp_path / "data", url + "?foo=bar"), "migrate")
    refused(
        proc,
        'cannot use the database of TIDINGS_DATABASE_URL: invalid connection option "foo"',
        "database_unavailable",
    )


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        (
            "TIDINGS_TIME_ZONE",
            "Mars/Base",
            "TIDINGS_TIME_ZONE: unknown time zone 'Mars/Base' "
            "(expected a name such as UTC or Europe/Paris)",
        ),
        (
            "TIDINGS_DATABASE_URL",
            "mysql://reader:hunter2@db.example/news",
            "TIDINGS_DATABASE_URL: Tidings stores its data in PostgreSQL "
            "(postgres://USER@HOST:PORT/DATABASE) or SQLite, not mysql",
        ),
        pytest.param(
            "TIDINGS_DATA_DIR",
            "/proc/nope",
            "TIDINGS_DATA_DIR: cannot use /proc/nope (No such file or directory): "
            "set TIDINGS_DATA_DIR to a directory this user can write",
            marks=pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="no /proc"),
        ),
    ],
)
def test_a_refused_setting_stops_every_command(
    tmp_path: Path, setting: str, value: str, message: str
) -> None:
    env = product_env(tmp_path / "data", **{setting: value})
    refused(tidings(env, "sources"), message, "config")


def test_a_data_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    afile = tmp_path / "data"
    afile.write_text("")
    refused(
        tidings(product_env(afile), "articles"),
        f"TIDINGS_DATA_DIR: {str(afile)!r} is a file, not a directory",
        "config",
    )


def test_an_opml_file_that_cannot_be_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.opml"
    assert cli.main(["import-opml", str(missing)]) == 1
    assert capsys.readouterr().err == (
        f"tidings: error: cannot read {missing}: No such file or directory [file]\n"
    )
    assert cli.main(["import-opml", str(tmp_path)]) == 1
    assert (
        capsys.readouterr().err
        == f"tidings: error: cannot read {tmp_path}: Is a directory [file]\n"
    )


@pytest.mark.django_db
def test_an_opml_file_that_cannot_be_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "no" / "such" / "dir" / "subscriptions.opml"
    assert cli.main(["export-opml", "-o", str(target)]) == 1
    assert capsys.readouterr().err == (
        f"tidings: error: cannot write {target}: No such file or directory [file]\n"
    )


def test_serve_refuses_a_port_that_is_no_port(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TIDINGS_PORT", "99999")
    assert cli.main(["serve", "--no-worker"]) == 1
    assert capsys.readouterr().err == (
        "tidings: error: TIDINGS_PORT: must be a port number from 1 to 65535, not 99999 [config]\n"
    )
    monkeypatch.delenv("TIDINGS_PORT")
    with pytest.raises(SystemExit) as info:
        cli.main(["serve", "--no-worker", "--port", "70000"])
    assert info.value.code == 2
    assert "argument --port: must be a port number from 1 to 65535, not 70000" in (
        capsys.readouterr().err
    )


def test_serve_refuses_a_port_in_use_before_saying_it_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TIDINGS_DEMO", "false")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["serve", "--no-worker", "--port", str(port)]) == 1
    assert capsys.readouterr().err == (
        f"tidings: error: the site cannot listen on 127.0.0.1:{port} (Address already in use): "
        "set TIDINGS_PORT (or --port) to a free port, or TIDINGS_HOST (or --host) to an "
        "address of this machine [config]\n"
    )


@pytest.mark.django_db
def test_serve_says_where_it_runs_once_the_port_is_its_own(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import uvicorn

    monkeypatch.setenv("TIDINGS_DEMO", "false")
    served: list[tuple[str, int]] = []

    def run(self: uvicorn.Server, sockets: list[socket.socket]) -> None:
        served.append(sockets[0].getsockname())
        assert "Tidings is running at" in capsys.readouterr().err

    monkeypatch.setattr(uvicorn.Server, "run", run)
    port = _closed_port()
    assert cli.main(["serve", "--no-worker", "--port", str(port)]) == 0
    assert served == [("127.0.0.1", port)]


@pytest.mark.parametrize("limit", ["0", "-1", "ten"])
def test_articles_limit_must_be_a_count(limit: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["articles", "--limit", limit])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "tidings articles: error: argument --limit: " in err and "Traceback" not in err
    assert (
        "expected a whole number" if limit == "ten" else f"must be at least 1, not {limit}"
    ) in err


def test_output_closed_early_stops_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class ClosedPipe(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert cli.main(["config", "--json"]) == 1
    assert capsys.readouterr().err == ""


def test_a_pipe_closed_before_the_output_is_no_error(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        command("config"),
        cwd=ROOT,
        env=product_env(tmp_path / "data"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # as `| head` does once it has its lines
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 1
    assert err == ""


def test_ai_and_bench_help_is_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command_, names in (("ai", "summarize,keypoints,ask,brief"), ("bench", "extract,ingest")):
        for flag in ("--help", "-h"):
            assert cli.main([command_, flag]) == 0
            out, err = capsys.readouterr()
            assert out.startswith(f"usage: tidings {command_} {{{names}") and err == ""
        with pytest.raises(SystemExit) as info:  # without a command, still a usage error
            cli.main([command_])
        assert info.value.code == 2
        assert "error: the following arguments are required" in capsys.readouterr().err


@pytest.mark.django_db
def test_sources_written_to_a_file_are_not_cut(capsys: pytest.CaptureFixture[str]) -> None:
    from django.utils import timezone

    from tidings.news.models import Feed, Source

    url = "https://news.example/feeds/" + "long-section-name/" * 6 + "rss.xml"
    source = Source.objects.create(slug="example-news", name="Example News")
    Feed.objects.create(source=source, url=url, last_success_at=timezone.now())
    Feed.objects.create(
        source=source,
        url="https://news.example/broken.xml",
        last_error_code="http_404",
        last_error_message="The feed answered\n404 Not Found",
        error_count=1,
    )
    assert cli.main(["sources"]) == 0  # captured: not a terminal
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Source\tFeed\tArticles\tStatus\tLast success\tPages failed\tLast error"
    rows = sorted(line.split("\t") for line in lines[1:])
    assert [row[:4] for row in rows] == [
        ["Example News", "https://news.example/broken.xml", "0", "http_404"],
        ["Example News", url, "0", "ok"],
    ]
    assert rows[0][5] == "0 of 0" and rows[0][6] == "The feed answered 404 Not Found"


@pytest.mark.django_db
def test_tables_on_a_terminal_show_brackets_as_written(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tidings.news.models import Feed, Source

    source = Source.objects.create(slug="bracket-news", name="[bold]Bracket[/bold] News")
    Feed.objects.create(
        source=source,
        url="https://bracket.example/feed.xml",
        last_error_code="connect",
        last_error_message="connection failed [/x] [Errno 111]",
    )
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.setenv("TIDINGS_SITE_NAME", "[/x] Tidings")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert cli.main(["sources"]) == 0
    out = capsys.readouterr().out
    assert "[bold]Bracket[/bold] News" in out and "connection failed [/x] [Errno 111]" in out
    assert cli.main(["config"]) == 0
    assert "'[/x] Tidings'" in capsys.readouterr().out
