"""The ``tidings`` command.

Exit status: 0 on success, 1 on a handled failure (printed as a clear
message) or when what reads the output stops reading, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

from tidings.core import config
from tidings.core.errors import (
    ConfigError,
    DatabaseNotMigratedError,
    DatabaseUnavailableError,
    FileAccessError,
    TidingsError,
)

BENCHES = ("extract", "ingest", "stories", "web", "ai", "feeds")


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidings.web.settings")
    import django

    django.setup()


def _django(*, migrate: bool = False, verbosity: int = 0) -> None:
    """Set Django up and open the database, then bring it up to date (``migrate``) or make
    sure it is: a database that cannot be opened, or is not migrated, is one clear error
    (not a traceback from the first query)."""
    _setup_django()
    from django.core.exceptions import ImproperlyConfigured
    from django.db import Error, connection

    try:
        connection.ensure_connection()
        if migrate:
            _migrate(verbosity)
        else:
            _require_migrated()
    except (Error, ImproperlyConfigured) as exc:
        where = (
            "the database of TIDINGS_DATABASE_URL"
            if config.read("DATABASE_URL")
            else f"the database {connection.settings_dict['NAME']}"
        )
        lines = (" ".join(line.split()) for line in str(exc).splitlines())
        reason = "; ".join(line for line in lines if line).removeprefix("connection failed: ")
        raise DatabaseUnavailableError(f"cannot use {where}: {reason}") from exc


def _require_migrated() -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    todo = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if not todo:
        return
    if not executor.loader.applied_migrations:
        raise DatabaseNotMigratedError(
            "the database has no Tidings tables yet: run `tidings migrate` first"
        )
    raise DatabaseNotMigratedError(
        f"the database is not up to date with this version of Tidings ({len(todo)} "
        "migrations to apply): run `tidings migrate` first"
    )


def _console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def _check_settings() -> None:
    """Refuse to start on a setting with a refused value (the first one), rather than fail
    when the work first reads it: for the commands that fetch, ingest and serve."""
    config.read_all()


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)
    # The page store's table when PAGE_CACHE=db (nothing otherwise).
    call_command("createcachetable", verbosity=verbosity)


def _forget_pages() -> None:
    """Empty the page store: pages rendered by another version of the code (templates,
    views) are never served. Run by ``migrate`` (every upgrade) and by ``serve`` at start;
    the idle worker renders them again."""
    from django.core.cache import caches

    caches["pages"].clear()


def _report(exc: TidingsError) -> None:
    """The one way the command tells the operator what went wrong: one line on stderr."""
    print(f"tidings: error: {exc} [{exc.code}]", file=sys.stderr)


# --- commands ------------------------------------------------------------------------------


def cmd_config(args: argparse.Namespace) -> int:
    # Every setting is listed (a refused value as written), then what is wrong, one line each.
    values: dict[str, Any] = {}
    problems: list[ConfigError] = []
    for spec in config.SETTINGS:
        try:
            values[spec.name] = config.read(spec.name)
        except ConfigError as exc:
            values[spec.name] = os.environ.get(spec.env, spec.default)
            problems.append(exc)
    if args.json:
        print(
            json.dumps(
                {k: ("***" if config.setting(k).secret and v else v) for k, v in values.items()},
                default=str,
                indent=2,
            )
        )
    elif not sys.stdout.isatty():
        # Not a terminal: an environment file, one commented setting per line.
        for spec in config.SETTINGS:
            value = values[spec.name]
            shown = "***" if spec.secret and value else _env_value(value)
            print(f"# {spec.help} (default: {_env_value(spec.default)!s})")
            print(f"{spec.env}={shown}")
    else:
        _config_table(values)
    for problem in problems:
        _report(problem)
    return 1 if problems else 0


def _config_table(values: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Tidings settings (environment variable TIDINGS_<NAME>)")
    table.add_column("Name")
    table.add_column("Value")
    table.add_column("Default")
    table.add_column("Help")
    for spec in config.SETTINGS:
        value = values[spec.name]
        shown = escape("***" if spec.secret and value else repr(value))
        changed = spec.env in os.environ
        table.add_row(
            spec.name,
            f"[bold]{shown}[/bold]" if changed else shown,
            escape(repr(spec.default)),
            escape(spec.help),
        )
    Console().print(table)


def _env_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def cmd_migrate(args: argparse.Namespace) -> int:
    _django(migrate=True, verbosity=1)
    _forget_pages()
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    _django(migrate=True)
    from tidings.news import pipeline

    result = pipeline.add(args.url, name=args.name)
    for feed in result.feeds:
        state = "added" if result.created else "already subscribed"
        print(f"{state}: {result.source.name} — {feed.url}")
    if args.name and args.name.strip() != result.source.name:
        print(
            f"note: the publisher was already known as {result.source.name!r}; "
            f"its name is kept (rename it at /admin/)",
            file=sys.stderr,
        )
    return 0


def cmd_import_opml(args: argparse.Namespace) -> int:
    try:
        with open(args.file, "rb") as fh:
            content = fh.read()
    except OSError as exc:
        raise FileAccessError(f"cannot read {args.file}: {exc.strerror or exc}") from exc
    _django(migrate=True)
    from tidings.core.opml import read_opml
    from tidings.news import pipeline

    opml = read_opml(content)
    added = already = 0
    # Every outline not subscribed is named with its reason: unusable in the file, or refused.
    skipped = [_outline_line(o.title, o.url, o.message, o.code) for o in opml.skipped]
    for outline in opml.outlines:
        try:
            res = pipeline.subscribe_without_fetch(
                outline.xml_url, title=outline.title, homepage=outline.html_url
            )
        except TidingsError as exc:
            skipped.append(_outline_line(outline.title, outline.xml_url, exc.message, exc.code))
            continue
        if res.created:
            added += 1
        else:
            already += 1
    print(f"{added} feeds added, {already} already subscribed, {len(skipped)} skipped")
    for line in skipped:
        print(f"  skipped {line}", file=sys.stderr)
    return 1 if skipped and not added and not already else 0


def _outline_line(title: str, url: str, message: str, code: str) -> str:
    named = " ".join(part for part in (f"“{title}”" if title and title != url else "", url) if part)
    return f"{named or 'an outline'}: {message} [{code}]"


def cmd_export_opml(args: argparse.Namespace) -> int:
    _django()
    from tidings.core.opml import Outline, write_opml
    from tidings.news.models import Feed

    feeds = list(Feed.objects.select_related("source").order_by("source__name", "url"))
    # Each outline is named by its publisher, the name an import gives it back; the
    # sample outlets (fictional, served on this machine) are no one's subscriptions.
    outlines = [
        Outline(
            title=f.source.name, xml_url=f.url, html_url=f.source.homepage or None, category=None
        )
        for f in feeds
        if not f.source.is_sample
    ]
    if samples := len(feeds) - len(outlines):
        print(f"left out {samples} feeds of the sample outlets", file=sys.stderr)
    data = write_opml(outlines)
    if args.output and args.output != "-":
        try:
            with open(args.output, "wb") as fh:
                fh.write(data)
        except OSError as exc:
            raise FileAccessError(f"cannot write {args.output}: {exc.strerror or exc}") from exc
    else:
        sys.stdout.buffer.write(data)
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    _django()
    from django.db.models import Count
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from tidings.news.models import Feed
    from tidings.news.pagehealth import RECENT, PageHealth, page_health

    feeds = list(
        Feed.objects.select_related("source").annotate(n=Count("articles")).order_by("source__name")
    )
    # A feed can be read while its pages cannot: their failures are shown beside its own.
    pages = page_health(f.pk for f in feeds)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "source": f.source.name,
                        "feed": f.url,
                        "articles": f.n,
                        "last_success": f.last_success_at.isoformat()
                        if f.last_success_at
                        else None,
                        "error_code": f.last_error_code or None,
                        "error": f.last_error_message or None,
                        "next_poll": f.next_poll_at.isoformat(),
                        **pages.get(f.pk, PageHealth()).as_json(),
                    }
                    for f in feeds
                ],
                indent=2,
            )
        )
        return 0
    columns = ("Source", "Feed", "Articles", "Status", "Last success", "Pages failed", "Last error")
    if not sys.stdout.isatty():
        # Not a terminal (a file, a pipe): every value whole, one feed a line, tab-separated,
        # not a table cut to 80 columns.
        print("\t".join(columns))
        for f in feeds:
            p = pages.get(f.pk, PageHealth())
            status, said = _feed_state(f, p)
            row = (
                f.source.name,
                f.url,
                str(f.n),
                status,
                f.last_success_at.strftime("%Y-%m-%d %H:%M") if f.last_success_at else "",
                f"{p.failed} of {p.recent}",
                "; ".join(said),
            )
            print("\t".join(" ".join(value.split()) for value in row))
        return 0
    table = Table(
        title="Sources",
        caption=f"Pages failed: of the pages fetched in the last {RECENT.days} days",
    )
    for col in columns:
        table.add_column(col)
    styled = {"ok": "[green]ok[/green]", "new": "new"}
    for f in feeds:
        p = pages.get(f.pk, PageHealth())
        status, said = _feed_state(f, p)
        table.add_row(  # what a publisher or an error wrote is text, not styling
            escape(f.source.name),
            escape(f.url),
            str(f.n),
            styled.get(status) or f"[red]{escape(status)}[/red]",
            f.last_success_at.strftime("%Y-%m-%d %H:%M") if f.last_success_at else "—",
            f"[red]{p.failed} of {p.recent}[/red]" if p.failed else f"0 of {p.recent}",
            "\n".join(escape(line) for line in said),
        )
    Console().print(table)
    return 0


def _feed_state(feed: Any, pages: Any) -> tuple[str, list[str]]:
    """A feed's status (ok, new, or its error code) and what went wrong, its own error
    first, then its pages' latest."""
    status = feed.last_error_code if not feed.healthy else "ok" if feed.last_success_at else "new"
    said = [feed.last_error_message] if feed.last_error_message else []
    if pages.error_code:
        said.append(f"page {pages.error_code}: {pages.error_message}")
    return status, said


def cmd_poll(args: argparse.Namespace) -> int:
    _check_settings()
    _django(migrate=True)
    from tidings.news import worker

    if not args.once:
        print("use `tidings poll --once` (or `tidings worker` to keep polling)", file=sys.stderr)
        return 2
    with _progress():
        worker.poll_once()
    return _summary()


def _summary() -> int:
    from tidings.news.models import Article, Entry, Feed

    feeds_failed = Feed.objects.exclude(last_error_code="").count()
    entries_failed = Entry.objects.filter(state=Entry.State.FAILED).count()
    print(
        f"{Article.objects.count()} articles stored "
        f"({Article.objects.filter(duplicate_of__isnull=False).count()} duplicates folded); "
        f"{feeds_failed} feeds and {entries_failed} pages failed (see `tidings sources`)",
        file=sys.stderr,
    )
    return 0


class _progress:
    """A progress bar over entries while work runs, updated from a reader thread."""

    def __enter__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.stop = threading.Event()
        self.bar = Progress(
            TextColumn("[bold]ingesting"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            console=_console(),
            transient=False,
            disable=not sys.stderr.isatty(),
        )
        self.task = self.bar.add_task("", total=None)
        self.bar.start()
        self.thread: threading.Thread | None = None
        if not self.bar.disable:  # no terminal to draw on: nothing to count for
            self.thread = threading.Thread(target=self._watch, daemon=True)
            self.thread.start()

    def _watch(self) -> None:
        from django.db import connection

        from tidings.news.models import Entry

        try:
            while not self.stop.wait(0.5):
                total = Entry.objects.count()
                done = Entry.objects.exclude(state=Entry.State.PENDING).count()
                self.bar.update(self.task, total=total or None, completed=done)
        finally:
            connection.close()

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=2)
        self.bar.stop()


def cmd_worker(args: argparse.Namespace) -> int:
    _check_settings()
    _django(migrate=True)
    import signal

    from tidings.news import bootstrap, worker

    bootstrap.allow_sample_publisher()
    stop = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    worker.run_forever(stop)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    _check_settings()
    host = args.host or config.read("HOST")
    port = args.port or config.read("PORT")
    if config.read("DEMO") and port == config.read("DEMO_PORT"):
        raise ConfigError(
            f"the site and the sample publishers cannot both listen on port {port}: "
            "set TIDINGS_PORT or TIDINGS_DEMO_PORT to another port"
        )
    # The port is taken before any work: one in use is refused at once, and the address is
    # announced only when it is the site's.
    with _bind(host, port) as sock:
        _django(migrate=True)
        _forget_pages()
        import uvicorn

        from tidings.news import bootstrap

        bootstrap.prepare_site(console=_console())
        stop = threading.Event()
        if config.read("WORKER_IN_SERVE") and not args.no_worker:
            from tidings.news import worker

            threading.Thread(
                target=worker.run_forever, args=(stop,), name="tidings-worker", daemon=True
            ).start()
        server = uvicorn.Server(
            uvicorn.Config("tidings.web.asgi:application", log_level="warning", lifespan="off")
        )
        _console().print(
            f"Tidings is running at [bold]http://{_address(host, port)}/[/bold]  (Ctrl+C to stop)"
        )
        try:
            server.run(sockets=[sock])
        except KeyboardInterrupt:  # Ctrl+C: the server has stopped
            pass
        finally:
            stop.set()
            bootstrap.shutdown()
    return 0


def _address(host: str, port: int) -> str:
    return f"[{host.strip('[]')}]:{port}" if ":" in host else f"{host}:{port}"


def _bind(host: str, port: int) -> socket.socket:
    """A socket bound to the site's address, for the server to listen on."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"the site cannot listen on {_address(host, port)} ({exc.strerror or exc}): "
            "set TIDINGS_PORT (or --port) to a free port, or TIDINGS_HOST (or --host) to an "
            "address of this machine"
        ) from exc
    return sock


def cmd_articles(args: argparse.Namespace) -> int:
    _django()
    from tidings.news.models import Article

    rows = Article.objects.select_related("source").order_by("fetched_at", "id")
    if args.limit is not None:
        rows = rows[: args.limit]
    out = [
        {
            "id": a.id,
            "url": a.canonical_url,
            "title": a.title,
            "source": a.source.name,
            "published": a.published_at.isoformat() if a.published_at else None,
            "language": a.language or None,
            "duplicate_of": a.duplicate_of_id,
            "story": a.story_id,
            "text": a.text,
        }
        for a in rows
    ]
    if args.json:
        json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        for row in out:
            dup = f" (duplicate of {row['duplicate_of']})" if row["duplicate_of"] else ""
            print(f"{row['id']}  {row['source']}: {row['title']}{dup}")
    return 0


def _asks_help(rest: list[str]) -> bool:
    return "-h" in rest or "--help" in rest


def _help_or_usage(args: argparse.Namespace, rest: list[str], what: str) -> int:
    """``tidings bench --help``, ``tidings ai --help``: the command's own help (its options are
    given to the one named after it, so its parser cannot answer --help itself)."""
    if _asks_help(rest):
        args.parser.print_help()
        return 0
    args.parser.error(f"the following arguments are required: {what}")
    return 2  # (error() exits)


def cmd_bench(args: argparse.Namespace, rest: list[str]) -> int:
    if args.bench is None:
        return _help_or_usage(args, rest, "bench")
    module = importlib.import_module(f"tidings.bench.{args.bench}")
    main: Callable[[list[str]], int] = module.main
    return main(rest)


def cmd_manage(args: argparse.Namespace, rest: list[str]) -> int:
    """Any Django management command, e.g. ``tidings manage createsuperuser``."""
    _setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["tidings manage", *rest])
    return 0


def cmd_recluster(args: argparse.Namespace) -> int:
    _django()
    from tidings.news import stories

    n = stories.recluster()
    print(f"{n} articles re-assigned to stories", file=sys.stderr)
    return 0


def cmd_ai(args: argparse.Namespace, rest: list[str]) -> int:
    if args.ai_command is None:
        return _help_or_usage(args, rest, "ai_command")
    if _asks_help(rest):
        _setup_django()  # a command's help needs no database
    else:
        _django()
    ai_cli = importlib.import_module("tidings.aiweb.cli")
    main: Callable[[list[str]], int] = ai_cli.main
    return main([args.ai_command, *rest])


def _at_least_one(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {raw!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _setting_type(name: str) -> Callable[[str], Any]:
    """An option that gives a setting's value, checked as the setting is."""
    parse = config.setting(name).parse

    def convert(raw: str) -> Any:
        try:
            return parse(raw)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert


# --- parser --------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tidings", description="A self-hostable AI news aggregator.")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("config", help="print every setting, its value and its help")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_config)

    sub.add_parser("migrate", help="create or upgrade the database").set_defaults(func=cmd_migrate)

    s = sub.add_parser("add", help="subscribe to a feed, or to the feed a homepage advertises")
    s.add_argument("url")
    s.add_argument("--name", help="publisher name (default: the feed's title)")
    s.set_defaults(func=cmd_add)

    s = sub.add_parser("import-opml", help="subscribe to every feed of an OPML file")
    s.add_argument("file")
    s.set_defaults(func=cmd_import_opml)

    s = sub.add_parser("export-opml", help="write the subscriptions as OPML")
    s.add_argument("-o", "--output", default="-")
    s.set_defaults(func=cmd_export_opml)

    s = sub.add_parser("sources", help="publishers and feeds with status and last error")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_sources)

    s = sub.add_parser("poll", help="poll feeds")
    s.add_argument(
        "--once", action="store_true", help="poll every feed now, process all work, exit"
    )
    s.set_defaults(func=cmd_poll)

    sub.add_parser("worker", help="run the background worker").set_defaults(func=cmd_worker)

    s = sub.add_parser("serve", help="run the site (with the worker beside it)")
    s.add_argument("--host")
    s.add_argument("--port", type=_setting_type("PORT"))
    s.add_argument("--no-worker", action="store_true", help="do not run the worker in this process")
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("articles", help="list stored articles")
    s.add_argument("--json", action="store_true")
    s.add_argument("--limit", type=_at_least_one, help="the first N articles only")
    s.set_defaults(func=cmd_articles)

    s = sub.add_parser(
        "bench",
        help="benchmarks (extract, ingest, stories, web, ai, feeds)",
        usage="%(prog)s {" + ",".join(BENCHES) + "} ...",
        description="Benchmarks that print figures.",
        epilog="`tidings bench NAME --help` gives the options of one.",
        add_help=False,
    )
    s.add_argument("bench", nargs="?", choices=BENCHES, help="the benchmark to run")
    s.set_defaults(func=cmd_bench, passthrough=True, parser=s)

    s = sub.add_parser(
        "manage", help="run a Django management command (createsuperuser, changepassword, ...)"
    )
    s.set_defaults(func=cmd_manage, passthrough=True)

    sub.add_parser("recluster", help="rebuild stories from scratch in arrival order").set_defaults(
        func=cmd_recluster
    )

    s = sub.add_parser(
        "ai",
        help="AI features from the command line (summarize, ask, brief)",
        usage="%(prog)s {summarize,keypoints,ask,brief} ID ...",
        description="The AI features from the command line, from and to the site's cache.",
        epilog="`tidings ai COMMAND --help` gives the arguments and options of one.",
        add_help=False,
    )
    s.add_argument(
        "ai_command",
        nargs="?",
        choices=("summarize", "ask", "brief", "keypoints"),
        help="summarize ARTICLE_ID, keypoints ARTICLE_ID, ask ARTICLE_ID QUESTION or "
        "brief STORY_ID",
    )
    s.set_defaults(func=cmd_ai, passthrough=True, parser=s)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    try:
        if getattr(args, "passthrough", False):
            status = int(args.func(args, rest))
        else:
            if rest:
                parser.error(f"unrecognized arguments: {' '.join(rest)}")
            status = int(args.func(args))
        sys.stdout.flush()
        return status
    except TidingsError as exc:
        _report(exc)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # What reads the output stopped reading (`tidings articles --json | head`): stop
        # without a word, as any command in a pipe does.
        _drop_stdout()
        return 1


def _drop_stdout() -> None:
    """Send what is left of the output nowhere, so that Python's last flush at exit does
    not fail on the closed pipe again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (the output is captured)
        pass


if __name__ == "__main__":
    raise SystemExit(main())
