"""``tidings ai``: the AI features from the command line.

    tidings ai summarize ARTICLE_ID [--json]
    tidings ai keypoints ARTICLE_ID [--json]
    tidings ai ask ARTICLE_ID "QUESTION" [--json]
    tidings ai brief STORY_ID [--json]

Results come from and go to the same cache as the site (``--fresh`` recomputes).
Plain output is the text with its citations, then the cited sentences; ``--json``
prints :meth:`AIResult.to_dict` plus ``subject_id`` and ``cached``. Exit status 1
with a message on stderr for an unknown id or a failure of the AI engine.
"""

from __future__ import annotations

import argparse
import json
import sys

from tidings.aiweb.services import Job, get_engine, resolve_story
from tidings.core.ai import AIResult, ArticleDoc, article_sentences
from tidings.core.errors import ConfigError, TidingsError
from tidings.news.models import Article, Story

_FEATURES = {"summarize": "summary", "keypoints": "key_points", "ask": "ask", "brief": "brief"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tidings ai", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("summarize", "summarise an article"),
        ("keypoints", "the key points of an article"),
        ("ask", "answer a question from an article"),
        ("brief", "brief on a story: what happened and what differs across outlets"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("id", help="story id" if name == "brief" else "article id")
        if name == "ask":
            p.add_argument("question")
        p.add_argument("--json", action="store_true", help="print the result as JSON")
        p.add_argument("--fresh", action="store_true", help="recompute, ignoring the cache")
    return parser


def _sentence_lines(job: Job, result: AIResult) -> list[str]:
    """The cited sentences, for a reader who cannot click the citations."""
    docs = [job.subject] if isinstance(job.subject, ArticleDoc) else list(job.subject)
    by_id = {d.id: d for d in docs}
    lines: list[str] = []
    seen: set[tuple[str | None, int]] = set()
    for c in result.citations:
        if (c.article_id, c.sentence) in seen:
            continue
        seen.add((c.article_id, c.sentence))
        doc = by_id.get(c.article_id or "") if c.article_id else docs[0]
        if doc is None:
            continue
        sentences = article_sentences(doc)
        if 1 <= c.sentence <= len(sentences):
            where = f"{doc.source} " if c.article_id else ""
            lines.append(f"  [{where}{c.sentence}] {sentences[c.sentence - 1].text}")
    return lines


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    feature = _FEATURES[args.command]
    if feature == "brief":
        story = Story.objects.filter(pk=args.id).first()
        if story is None:
            print(f"tidings ai: no story with id {args.id!r}", file=sys.stderr)
            return 1
        job = Job.for_story(resolve_story(story))
        if not job.subject:
            print(f"tidings ai: story {args.id!r} has no articles", file=sys.stderr)
            return 1
    else:
        article = Article.objects.select_related("source").filter(pk=args.id).first()
        if article is None:
            print(f"tidings ai: no article with id {args.id!r}", file=sys.stderr)
            return 1
        question = getattr(args, "question", None)
        if feature == "ask" and not (question or "").strip():
            print("tidings ai: the question is empty", file=sys.stderr)
            return 1
        job = Job.for_article(article, feature, question=question)
    try:
        engine = get_engine()
        result = None if args.fresh else job.cached(engine)
        cached = result is not None
        if result is None:
            result = job.run(engine)
    except (TidingsError, ConfigError) as exc:
        print(f"tidings ai: {exc.message} [{exc.code}]", file=sys.stderr)
        return 1
    if args.json:
        kind, _, plain_id = job.subject_id.rpartition(":")
        data = {
            "subject": kind or "article",
            "subject_id": plain_id,
            **result.to_dict(),
            "cached": cached,
        }
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    print(result.text)
    lines = _sentence_lines(job, result)
    if lines:
        print("\nCited sentences:")
        print("\n".join(lines))
    return 0
