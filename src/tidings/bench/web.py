"""``tidings bench web``: the article page against a bare Django view, same server stack.

A fresh temporary database is filled with synthetic articles (with stories,
related links, topics, syndicated copies and comments when the comments app
is installed), and their pages are pre-rendered as the worker does while idle;
the site is started under uvicorn exactly as ``tidings serve`` runs it, with one
extra bare view; a keep-alive HTTP/1.1 load generator (each connection a browser
that keeps the cookies it is given) then measures each target twice: throughput
(requests/s) with several connections kept busy, and latency (p50/p95/p99) with
one reader at a time -- under a saturating load every request also waits for the
ones queued before it, so loaded latencies (also printed) only restate the
throughput.

Throughput is measured in rounds (``--rounds``): each round gives every target
an equal slice of time, bare view first, the order reversed every other round,
and the ratio to the bare view is taken round by round; the reported ratio is
the median of the rounds (their range is printed beside it). On a shared machine
whose speed drifts over a run, targets measured one after the other would carry
the drift into their ratio.

The article page is measured three ways, each over its own articles:

- first views: articles nobody has opened yet, whose pages the worker pre-rendered
  (the common case: an article opened after ingestion); a stored page is answered
  in front of Django's middleware (``tidings.site.front``), the bare view through
  all of it;
- repeat views: a hot set of 50 articles, each already read (popular articles);
- not pre-rendered: the same first views on a server whose page store starts
  empty (PAGE_CACHE=memory), so every page is rendered in the request -- the
  worst case (an article changed a moment ago, before the worker got to it).

Targets: article page p95 <= 50 ms and >= 0.5x the bare view's throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import http.client
import itertools
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from tidings.core import config

BARE_PATH = "/bench/bare"
URL_SAMPLE = 8000  # distinct articles requested at most (first views are never repeated)
LAYOUT = 2  # bumped when what a kept --data-dir holds changes
P95_TARGET_MS = 50.0
RATIO_TARGET = 0.5

_WORD_TEXT = (
    "harbour council ferry storm quake minister budget river bridge market school hospital "
    "railway election court report coast village festival museum airport factory energy "
    "harvest drought flood inquiry treaty summit strike union tariff export shipping port "
    "mayor police rescue fire forest mountain island valley league final coach season "
    "vaccine clinic research university student teacher housing rent wage pension tax"
)
_WORDS = _WORD_TEXT.split()
_NAME_TEXT = (
    "Veland Ostria Marrow Quill Tessary Brindle Holloway Carden Ashby Lorne Pellan Dunmore "
    "Ferris Galloway Harrow Ingram Juniper Keswick Lattimer Morrow"
)
_NAMES = _NAME_TEXT.split()


# --- child: populate ------------------------------------------------------------


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(12, 24))]
    words.insert(rng.randrange(len(words)), rng.choice(_NAMES))
    return " ".join(words).capitalize() + "."


def _populate(n_articles: int, out: Path) -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)

    from django.apps import apps
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from tidings.news.models import Article, ArticleTopic, RelatedLink, Source, Story, Topic

    rng = random.Random(7)
    now = timezone.now()
    sources = Source.objects.bulk_create(
        Source(slug=f"outlet-{i}", name=f"Bench Outlet {i}", is_sample=True) for i in range(200)
    )
    topics = Topic.objects.bulk_create(
        Topic(slug=f"topic-{i}", name=f"{rng.choice(_NAMES)} {i}", kind="place") for i in range(500)
    )
    n_stories = max(1, n_articles // 4)
    stories = Story.objects.bulk_create(
        Story(id=hashlib.md5(f"s{i}".encode()).hexdigest(), headline=_sentence(rng)[:120])
        for i in range(n_stories)
    )
    articles: list[Article] = []
    for i in range(n_articles):
        paragraphs = [" ".join(_sentence(rng) for _ in range(4)) for _ in range(8)]
        text = "\n\n".join(paragraphs)
        url = f"https://outlet-{i % 200}.example/news/{i}"
        articles.append(
            Article(
                id=hashlib.md5(url.encode()).hexdigest(),
                canonical_url=url,
                source=sources[i % len(sources)],
                title=_sentence(rng)[:110],
                byline=f"{rng.choice(_NAMES)} {rng.choice(_NAMES)}",
                description=paragraphs[0][:200],
                category=rng.choice(("World", "Business", "Science", "Sport", "Culture")),
                published_at=now - timedelta(minutes=i),
                text=text,
                html="".join(f"<p>{p}</p>" for p in paragraphs),
                word_count=len(text.split()),
                content_hash=hashlib.sha256(text.encode()).hexdigest(),
                story=stories[i % n_stories],
                story_state="assigned",
                is_sample=True,
            )
        )
    Article.objects.bulk_create(articles, batch_size=500)
    for i, art in enumerate(articles):
        if i % 20 == 19:  # a few syndicated copies
            Article.objects.filter(pk=art.pk).update(duplicate_of=articles[i - 1].pk)
    by_story: dict[str, list[Article]] = {}
    for art in articles:
        by_story.setdefault(str(art.story_id), []).append(art)
    for story in stories:
        members = by_story.get(story.pk, [])
        story.lead_article = members[0] if members else None
        story.article_count = len(members)
        story.outlet_count = len({a.source_id for a in members})
        story.last_updated_at = max(
            (a.published_at for a in members if a.published_at), default=now
        )
        story.first_published_at = min(
            (a.published_at for a in members if a.published_at), default=now
        )
        story.score = float(story.outlet_count)
    Story.objects.bulk_update(
        stories,
        [
            "lead_article",
            "article_count",
            "outlet_count",
            "last_updated_at",
            "first_published_at",
            "score",
        ],
        batch_size=500,
    )
    links: list[RelatedLink] = []
    tags: list[ArticleTopic] = []
    for art in articles:
        same = [a for a in by_story[str(art.story_id)] if a.pk != art.pk]
        others = rng.sample(articles, 6)
        chosen = (same + [o for o in others if o.pk != art.pk and o not in same])[:6]
        for rank, other in enumerate(chosen):
            in_story = other.story_id == art.story_id
            links.append(
                RelatedLink(
                    article=art,
                    related=other,
                    rank=rank,
                    score=1.0 - rank / 10,
                    same_story=in_story,
                    reason="Same story" if in_story else f"Also about {rng.choice(_NAMES)}",
                )
            )
        for topic in rng.sample(topics, 3):
            tags.append(ArticleTopic(article=art, topic=topic))
    RelatedLink.objects.bulk_create(links, batch_size=2000)
    ArticleTopic.objects.bulk_create(tags, batch_size=2000)

    comments = 0
    if apps.is_installed("tidings.community"):
        comments = _comments(apps, get_user_model(), articles, rng)
    originals = [a for i, a in enumerate(articles) if i % 20 != 19]
    sample = rng.sample(originals, min(URL_SAMPLE, len(originals)))
    out.write_text("\n".join(a.get_absolute_url() for a in sample))
    print(
        f"populated {len(articles)} articles, {len(stories)} stories, {len(links)} related links, "
        f"{comments} comments",
        file=sys.stderr,
    )


def _comments(apps: Any, user_model: Any, articles: Sequence[Any], rng: random.Random) -> int:
    try:
        comment_model = apps.get_model("community", "Comment")
    except LookupError:
        return 0
    users = []
    for i in range(50):
        user = user_model(username=f"reader{i}")
        user.set_unusable_password()
        users.append(user)
    users = user_model.objects.bulk_create(users)
    try:
        profile_model = apps.get_model("community", "Profile")
        profile_model.objects.bulk_create(
            profile_model(user=u, display_name=f"Reader {i}") for i, u in enumerate(users)
        )
    except LookupError:
        pass
    rows = []
    for art in articles:
        for _ in range(3):
            body = _sentence(rng)
            rows.append(
                comment_model(
                    article=art, author=rng.choice(users), body=body, body_html=f"<p>{body}</p>"
                )
            )
    comment_model.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


# --- child: pre-render -----------------------------------------------------------


def _prerender(part: int, parts: int) -> None:
    """Render this share of the article pages into the page store, as the worker does."""
    import django

    django.setup()
    from tidings.news.models import Article
    from tidings.site.prerender import render_public_page

    rows = Article.objects.order_by("changed_at", "id").values_list("id", "title")
    failed = 0
    for i, (article_id, title) in enumerate(rows.iterator()):
        if i % parts == part:
            failed += (
                render_public_page(Article(id=article_id, title=title).get_absolute_url()) != 200
            )
    if failed:
        raise SystemExit(f"{failed} pages failed to render")


# --- child: serve -----------------------------------------------------------------


def _application() -> Any:
    """The site's ASGI application plus the bare view (an app factory for uvicorn)."""
    import logging

    import django
    from django.conf import settings

    django.setup()
    from django.http import HttpRequest, HttpResponse
    from django.urls import include, path

    # Server errors are otherwise silent with DEBUG off: show why a request failed.
    errors = logging.getLogger("django.request")
    errors.addHandler(logging.StreamHandler(sys.stderr))
    errors.setLevel(logging.ERROR)

    def bare(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    urls = types.ModuleType("tidings_bench_urls")
    urls.urlpatterns = [  # type: ignore[attr-defined]
        path(BARE_PATH.lstrip("/"), bare),
        path("", include(settings.ROOT_URLCONF)),
    ]
    sys.modules[urls.__name__] = urls
    settings.ROOT_URLCONF = urls.__name__
    from tidings.web.asgi import make_application

    return make_application()


def _serve(port: int, workers: int) -> None:
    import uvicorn

    uvicorn.run(
        "tidings.bench.web:_application",
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        log_level="warning",
        lifespan="off",
    )


def _migrate() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


# --- parent: load generator -------------------------------------------------------


@dataclass
class Figures:
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


async def _one_connection(
    port: int, paths: Iterator[str], deadline: float, latencies: list[float], errors: list[int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    # Each connection is one reader's browser: it sends back the cookies it was given
    # (the CSRF cookie of the first page), as a reader going from article to article does.
    cookies: dict[str, str] = {}
    try:
        while time.perf_counter() < deadline:
            if (target := next(paths, None)) is None:
                break
            cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
            request = (
                f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n"
                + (f"Cookie: {cookie}\r\n" if cookie else "")
                + "\r\n"
            )
            start = time.perf_counter()
            writer.write(request.encode())
            status = int((await reader.readline()).split()[1])
            headers: dict[str, str] = {}
            while (line := await reader.readline()) not in (b"\r\n", b""):
                key, _, value = line.decode("latin-1").partition(":")
                headers[key.strip().lower()] = value.strip()
                if key.strip().lower() == "set-cookie":
                    name, _, rest = value.strip().partition("=")
                    cookies[name] = rest.split(";", 1)[0]
            if "content-length" in headers:
                await reader.readexactly(int(headers["content-length"]))
            elif headers.get("transfer-encoding") == "chunked":
                while size := int((await reader.readline()).strip(), 16):
                    await reader.readexactly(size + 2)
                await reader.readline()
            latencies.append(time.perf_counter() - start)
            if status != 200:
                errors.append(status)
                if len(errors) == 1:
                    where = headers.get("location", "")
                    print(
                        f"first failure: HTTP {status} for {request.split()[1]}"
                        + (f" -> {where}" if where else ""),
                        file=sys.stderr,
                    )
            if headers.get("connection") == "close":
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


def _load(
    port: int, paths: Sequence[str] | Iterator[str], seconds: float, concurrency: int
) -> Figures:
    """``concurrency`` connections requesting ``paths`` for ``seconds``: a sequence is
    cycled through; an iterator is used up (the run ends early when it runs out)."""
    return _figures(*_drive(port, paths, seconds, concurrency))


def _drive(
    port: int, paths: Sequence[str] | Iterator[str], seconds: float, concurrency: int
) -> tuple[list[float], int, float]:
    """The latencies, the number of failed requests and the elapsed time of one load."""
    latencies: list[float] = []
    errors: list[int] = []
    source = itertools.cycle(paths) if isinstance(paths, Sequence) else paths

    async def run() -> float:
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(
            *(
                _one_connection(port, source, deadline, latencies, errors)
                for _ in range(concurrency)
            )
        )
        return time.perf_counter() - start

    elapsed = asyncio.run(run())
    return latencies, len(errors), elapsed


def _figures(latencies: list[float], errors: int, elapsed: float) -> Figures:
    ordered = sorted(latencies)
    q = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else [0.0] * 99
    return Figures(
        requests=len(ordered),
        errors=errors,
        seconds=round(elapsed, 2),
        rps=round(len(ordered) / elapsed, 1) if elapsed else 0.0,
        p50_ms=round(q[49] * 1000, 2),
        p95_ms=round(q[94] * 1000, 2),
        p99_ms=round(q[98] * 1000, 2),
    )


def _interleaved(
    port: int,
    targets: dict[str, Sequence[str] | Iterator[str]],
    seconds: float,
    concurrency: int,
    rounds: int,
) -> tuple[dict[str, Figures], dict[str, list[float]]]:
    """Throughput of every target, measured in ``rounds`` turns of ``seconds / rounds``
    each (the order reversed every other round), with each target's ratio to the
    first one (the bare view) round by round: a shared machine drifting during the
    run then moves both sides of a ratio alike."""
    names = list(targets)
    runs: dict[str, list[tuple[list[float], int, float]]] = {name: [] for name in names}
    for turn in range(rounds):
        for name in names if turn % 2 == 0 else names[::-1]:
            runs[name].append(_drive(port, targets[name], seconds / rounds, concurrency))
    figures = {
        name: _figures(
            [x for lat, _, _ in done for x in lat],
            sum(err for _, err, _ in done),
            sum(el for _, _, el in done),
        )
        for name, done in runs.items()
    }

    def rate(run: tuple[list[float], int, float]) -> float:
        return len(run[0]) / run[2] if run[2] else 0.0

    base = runs[names[0]]
    ratios = {
        name: [
            round(rate(mine) / rate(bare), 3)
            for mine, bare in zip(done, base, strict=True)
            if mine[0] and rate(bare)  # a target that ran out of articles has no round
        ]
        for name, done in runs.items()
    }
    return figures, ratios


def _visit(port: int, paths: Sequence[str]) -> list[int]:
    """One GET of each path, in order; their status codes."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    statuses = []
    try:
        for target in paths:
            conn.request("GET", target, headers={"Host": "127.0.0.1", "Accept": "text/html"})
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
    finally:
        conn.close()
    return statuses


def code_digest(root: Path | None = None) -> str:
    """A digest of the code and templates pages are rendered with: every ``.py`` and
    ``.html`` file of the package (or under ``root``). A kept ``--data-dir`` records the
    one its pages were stored with."""
    base = root if root is not None else Path(__file__).resolve().parents[1]
    digest = hashlib.sha1(usedforsecurity=False)
    for path in sorted(p for p in base.rglob("*") if p.suffix in (".py", ".html")):
        digest.update(path.relative_to(base).as_posix().encode() + b"\x00")
        digest.update(path.read_bytes() + b"\x00")
    return digest.hexdigest()[:12]


def _prerender_all(me: list[str], env: dict[str, str], articles: int) -> float:
    """The worker's idle-time pre-rendering of every article page, one process per core;
    the seconds it took."""
    started = time.perf_counter()
    parts = max(1, os.cpu_count() or 1)
    children = [
        subprocess.Popen([*me, "_prerender", str(k), str(parts)], env=env) for k in range(parts)
    ]
    if any(child.wait() != 0 for child in children):
        raise SystemExit("pre-rendering the article pages failed; see above")
    seconds = time.perf_counter() - started
    print(
        f"{articles:,} pages pre-rendered in {seconds:.0f} s "
        f"({articles / seconds:.0f} pages/s on {parts} processes)",
        file=sys.stderr,
    )
    return seconds


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the bench server exited before answering")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the bench server did not start in time")


def _read_manifest(path: Path) -> dict[str, Any] | None:
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tidings bench web", description=__doc__.splitlines()[0])
    p.add_argument("--articles", type=int, default=10_000, help="articles to generate (10000)")
    p.add_argument("--seconds", type=float, default=10.0, help="measuring time per target (10)")
    p.add_argument("--concurrency", type=int, default=8, help="keep-alive connections (8)")
    p.add_argument(
        "--rounds",
        type=int,
        default=6,
        help="turns the throughput time is split into, targets alternating (6)",
    )
    p.add_argument(
        "--hot", type=int, default=50, help="articles read again and again, repeat views (50)"
    )
    p.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes, as `tidings serve` (1)"
    )
    p.add_argument("--database-url", default="", help="an EMPTY database to use instead of SQLite")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument(
        "--data-dir",
        default="",
        help="keep the generated database in this directory and reuse it on the next run",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["_populate"]:
        _populate(int(args_list[1]), Path(args_list[2]))
        return 0
    if args_list[:1] == ["_prerender"]:
        _prerender(int(args_list[1]), int(args_list[2]))
        return 0
    if args_list[:1] == ["_serve"]:
        _serve(int(args_list[1]), int(args_list[2]))
        return 0
    if args_list[:1] == ["_migrate"]:
        _migrate()
        return 0
    args = _parser().parse_args(args_list)
    keep = bool(args.data_dir)
    workdir = Path(args.data_dir) if keep else Path(tempfile.mkdtemp(prefix="tidings-bench-web-"))
    workdir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tidings.web.settings",
        "TIDINGS_DATA_DIR": str(workdir),
        "TIDINGS_DATABASE_URL": args.database_url,
        "TIDINGS_DEBUG": "false",
        "TIDINGS_DEMO": "false",
        "TIDINGS_STARTER_FEEDS": "false",
        "TIDINGS_PAGE_CACHE": "file",
    }
    me = [sys.executable, "-m", "tidings.bench.web"]
    engine = "PostgreSQL" if args.database_url else "SQLite (WAL)"
    results: dict[str, Target] = {}
    prerender_s = None
    try:
        urls_file = workdir / "urls.txt"
        manifest = workdir / "bench.json"
        rendered_by = workdir / "pages.txt"  # the code_digest of the stored pages
        wanted = {"articles": args.articles, "database": engine, "layout": LAYOUT}
        started = time.perf_counter()
        if not urls_file.exists() or _read_manifest(manifest) != wanted:
            if urls_file.exists() or manifest.exists():
                raise SystemExit(
                    f"{workdir} holds a bench database made with other options "
                    f"({_read_manifest(manifest)}); use an empty --data-dir"
                )
            subprocess.run(
                [*me, "_populate", str(args.articles), str(urls_file)], env=env, check=True
            )
            print(f"database ready in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            prerender_s = _prerender_all(me, env, args.articles)
            manifest.write_text(json.dumps(wanted))
        else:
            # A kept database may predate the current schema: every article page
            # would then fail while the bare view still answers.
            subprocess.run([*me, "_migrate"], env=env, check=True)
            if not rendered_by.exists() or rendered_by.read_text() != code_digest():
                # Stored by other code (what `tidings migrate` and `serve` forget at start,
                # which the bench's server does not run): render them again, without the
                # old ones (they would be served, or crowd the store into culling).
                shutil.rmtree(workdir / "cache" / "pages", ignore_errors=True)
                prerender_s = _prerender_all(me, env, args.articles)
        rendered_by.write_text(code_digest())
        paths = urls_file.read_text().split("\n")
        # Disjoint sets: a first view is never a repeat of an earlier request.
        for_throughput, for_latency = paths[: len(paths) * 3 // 4], paths[len(paths) * 3 // 4 :]
        hot = for_latency[-args.hot :]
        for_latency = for_latency[: -args.hot]
        with _server(me, env, args.workers) as port:
            probe = _visit(port, [BARE_PATH, hot[0]])
            if probe != [200, 200]:
                # Say why now rather than count every request of the run as an error
                # (a database that does not hold the listed articles, a broken page).
                print(
                    f"the bench server answered HTTP {probe[0]} for the bare view and "
                    f"HTTP {probe[1]} for {hot[0]}; see its log above",
                    file=sys.stderr,
                )
                return 1
            _load(port, [BARE_PATH], 2.0, args.concurrency)  # warm-up
            _visit(port, hot)  # the first view of each hot article
            first = iter(for_throughput)
            loads, round_ratios = _interleaved(
                port,
                {"bare": [BARE_PATH], "first": first, "repeat": hot},
                args.seconds,
                args.concurrency,
                args.rounds,
            )
            _ran_out(first, loads["first"])
            first_alone = iter(for_latency)
            for name, wanted_paths in (
                ("bare", [BARE_PATH]),
                ("first", first_alone),
                ("repeat", hot),
            ):
                alone = _load(port, wanted_paths, args.seconds / 2, 1)
                results[name] = Target(loads[name], alone, round_ratios[name])
            _ran_out(first_alone, results["first"].alone)
        # The worst case: every page rendered in the request (an empty page store).
        cold_env = env | {"TIDINGS_PAGE_CACHE": "memory"}
        with _server(me, cold_env, args.workers) as port:
            _load(port, [BARE_PATH], 1.0, args.concurrency)  # warm-up
            cold = iter(for_throughput)
            loads, round_ratios = _interleaved(
                port,
                {"bare": [BARE_PATH], "cold": cold},
                args.seconds,
                args.concurrency,
                args.rounds,
            )
            _ran_out(cold, loads["cold"])
            cold_alone = iter(for_latency)
            alone = _load(port, cold_alone, args.seconds / 2, 1)
            _ran_out(cold_alone, alone)
            results["cold"] = Target(loads["cold"], alone, round_ratios["cold"])
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    ratios = {
        name: round(statistics.median(t.round_ratios), 3) if t.round_ratios else 0.0
        for name, t in results.items()
    }
    if args.json:
        report: dict[str, Any] = {"articles": args.articles, "database": engine}
        report |= {"workers": args.workers, "concurrency": args.concurrency, "hot": args.hot}
        report["targets"] = {"p95_ms": P95_TARGET_MS, "ratio": RATIO_TARGET}
        if prerender_s is not None:
            report["prerender_seconds"] = round(prerender_s, 1)
        for name, target in results.items():
            entry: dict[str, Any] = {"throughput": asdict(target.load)}
            entry["one_reader"] = asdict(target.alone)
            if name != "bare":
                entry["throughput_ratio"] = ratios[name]
                entry["throughput_ratio_rounds"] = target.round_ratios
                entry["targets_met"] = _met(target, ratios[name])
            report[_KEYS[name]] = entry
        print(json.dumps(report, indent=2))
    else:
        _table(args, engine, results, ratios)
    failed = any(t.load.errors or t.alone.errors for t in results.values())
    return 1 if failed else 0


_KEYS = {
    "bare": "bare",
    "first": "article_first_view",
    "repeat": "article_repeat_view",
    "cold": "article_not_prerendered",
}
_LABELS = {
    "bare": "bare view",
    "first": "first view",
    "repeat": "repeat view",
    "cold": "not pre-rendered",
}


@dataclass
class Target:
    load: Figures  # several connections kept busy: throughput
    alone: Figures  # one reader at a time: latency
    #: Throughput against the bare view's in each round (the reported ratio: their median).
    round_ratios: list[float]


def _ran_out(paths: Iterator[str], figures: Figures) -> None:
    if next(paths, None) is None:
        print(
            f"ran out of distinct articles after {figures.requests} requests; "
            "figures cover that time only",
            file=sys.stderr,
        )


class _server:
    """The bench server (uvicorn, as ``tidings serve``) for a ``with`` block; yields its port."""

    def __init__(self, me: list[str], env: dict[str, str], workers: int) -> None:
        self.port = _free_port()
        self.proc = subprocess.Popen([*me, "_serve", str(self.port), str(workers)], env=env)

    def __enter__(self) -> int:
        _wait_for(self.port, self.proc)
        return self.port

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def _threads(n: int) -> str:
    return f"{n} thread" if n == 1 else f"{n} threads"


def _table(
    args: argparse.Namespace,
    engine: str,
    results: dict[str, Target],
    ratios: dict[str, float],
) -> None:
    print(
        f"tidings bench web: {args.articles:,} articles, {engine}, "
        f"uvicorn ({args.workers} process{'es' if args.workers > 1 else ''}, "
        f"{_threads(config.read('WEB_THREADS'))} for page reads), "
        f"{args.seconds:g} s per target"
    )
    print(f"{'':34}" + "".join(f"{_LABELS[name]:>18}" for name in results))
    rows: list[tuple[str, str, str]] = [
        (f"requests/s ({args.concurrency} connections)", "load", "rps"),
        ("  requests", "load", "requests"),
        ("  p50 ms (queued behind others)", "load", "p50_ms"),
        ("  p95 ms (queued behind others)", "load", "p95_ms"),
        ("latency, one reader: p50 ms", "alone", "p50_ms"),
        ("  p95 ms", "alone", "p95_ms"),
        ("  p99 ms", "alone", "p99_ms"),
        ("  requests", "alone", "requests"),
    ]
    for label, phase, key in rows:
        cells = "".join(f"{getattr(getattr(t, phase), key):>18}" for t in results.values())
        print(f"{label:34}{cells}")
    print(f"{'throughput vs bare (median)':34}" + "".join(f"{ratios[n]:>17.2f}x" for n in results))
    spread = "".join(
        f"{f'{min(t.round_ratios):.2f}-{max(t.round_ratios):.2f}x' if t.round_ratios else '-':>18}"
        for t in results.values()
    )
    print(f"{f'  rounds ({args.rounds}), lowest-highest':34}{spread}")
    errors = "".join(f"{t.load.errors + t.alone.errors:>18}" for t in results.values())
    print(f"{'errors':34}{errors}")
    for name, target in results.items():
        if name == "bare":
            continue
        p95 = target.alone.p95_ms
        print(
            f"article, {_LABELS[name]}: p95 {p95} ms (target <= {P95_TARGET_MS:g} ms): "
            f"{'ok' if p95 <= P95_TARGET_MS else 'MISSED'}; throughput {ratios[name]:.2f}x bare "
            f"(target >= {RATIO_TARGET}x): {'ok' if ratios[name] >= RATIO_TARGET else 'MISSED'}"
        )


def _met(target: Target, ratio: float) -> bool:
    return target.alone.p95_ms <= P95_TARGET_MS and ratio >= RATIO_TARGET


if __name__ == "__main__":
    raise SystemExit(main())
