"""``tidings bench ai``: measured quality of the built-in AI engine.

Summaries, on the labelled stories corpus (articles grouped by event):

- ROUGE-1/2/L (recall and F1) of each article's summary against the event's
  WikiNews headline — a weak reference: a headline is short and abstractive;
- coverage: the share of summary sentences that also appear, as a near duplicate
  (at least 50 % of its content terms found in one sentence of the other article),
  in at least one *other* outlet of the story, i.e. in >= 2 outlets;
- redundancy: mean pairwise TF-IDF cosine between the sentences of a summary.

Baselines on the same articles: the first three sentences (lead-3) and three
evenly spaced sentences. Ask-the-article, on the question set of sample articles
(``tests/ai/data``): exact-span hit rate (the expected answer span occurs in the
returned sentences) on answerable questions and "not answered" accuracy on
questions the article does not answer.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tidings.core.ai import ArticleDoc, BuiltinEngine, Sentence, article_sentences
from tidings.core.ai._builtin import rank_sentences
from tidings.core.ai._text import TfIdf, cosine, terms, words

_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_EVENTS = _ROOT.parent / "shared" / "corpora" / "stories" / "events-dev.jsonl"
DEFAULT_QA_DIR = _ROOT / "tests" / "ai" / "data"
DEFAULT_DEMO_QA = _ROOT / "tests" / "aiweb" / "data" / "demo-qa.jsonl"


def load_sample_article(path: Path) -> ArticleDoc:
    """A sample article file: ``key: value`` front matter, a blank line, the text."""
    head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
    meta = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
    return ArticleDoc(
        id=path.stem,
        title=meta.get("title", path.stem),
        text=body.strip(),
        source=meta.get("source", "sample"),
        url=meta.get("url", ""),
    )


# --- ROUGE ------------------------------------------------------------------


def _ngrams(tokens: Sequence[str], n: int) -> dict[tuple[str, ...], int]:
    out: dict[tuple[str, ...], int] = defaultdict(int)
    for i in range(len(tokens) - n + 1):
        out[tuple(tokens[i : i + n])] += 1
    return out


def _prf(overlap: float, cand: int, ref: int) -> tuple[float, float, float]:
    p = overlap / cand if cand else 0.0
    r = overlap / ref if ref else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def rouge_n(
    candidate: Sequence[str], reference: Sequence[str], n: int
) -> tuple[float, float, float]:
    c, r = _ngrams(candidate, n), _ngrams(reference, n)
    overlap = sum(min(v, r[k]) for k, v in c.items() if k in r)
    return _prf(overlap, sum(c.values()), sum(r.values()))


def rouge_l(candidate: Sequence[str], reference: Sequence[str]) -> tuple[float, float, float]:
    prev = [0] * (len(reference) + 1)
    for a in candidate:
        cur = [0]
        for j, b in enumerate(reference):
            cur.append(prev[j] + 1 if a == b else max(prev[j + 1], cur[j]))
        prev = cur
    return _prf(prev[-1], len(candidate), len(reference))


def _rouge_tokens(text: str) -> list[str]:
    return [w.replace(".", "") for w in words(text)]


# --- summary metrics ------------------------------------------------------


def _near_duplicate(sentence: str, other: Sequence[Sentence], threshold: float = 0.5) -> bool:
    mine = set(terms(sentence))
    if not mine:
        return False
    return any(len(mine & set(terms(s.text))) / len(mine) >= threshold for s in other)


def _redundancy(sentences: Sequence[str]) -> float:
    if len(sentences) < 2:
        return 0.0
    model = TfIdf([terms(s) for s in sentences])
    v = model.vectors
    pairs = [cosine(v[i], v[j]) for i in range(len(v)) for j in range(i + 1, len(v))]
    return statistics.fmean(pairs)


Summariser = Callable[[ArticleDoc], list[str]]


def _lead3(a: ArticleDoc) -> list[str]:
    return [s.text for s in article_sentences(a)[:3]]


def _spread3(a: ArticleDoc) -> list[str]:
    sents = article_sentences(a)
    if len(sents) <= 3:
        return [s.text for s in sents]
    step = len(sents) / 3
    return [sents[int(i * step)].text for i in range(3)]


def _builtin(a: ArticleDoc) -> list[str]:
    return [s.text for s in rank_sentences(a, 3)]


def _load_events(path: Path) -> dict[str, list[tuple[ArticleDoc, str]]]:
    events: dict[str, list[tuple[ArticleDoc, str]]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        doc = ArticleDoc(
            row["id"], row["title"] or "", row["text"] or "", row["source"], row["url"]
        )
        events[row["event"]].append((doc, row["event_title"]))
    return events


def evaluate_briefs(path: Path) -> dict[str, float]:
    """Story briefings on events with >= 2 outlets: ROUGE recall of "what happened"
    against the headline, and how often its sentences are near-duplicated in >= 2
    outlets (their own and another one)."""
    engine = BuiltinEngine()
    r1: list[float] = []
    rl: list[float] = []
    covered = total = differs = 0
    stories = 0
    for group in _load_events(path).values():
        docs = [d for d, _ in group]
        if len({d.source for d in docs}) < 2:
            continue
        stories += 1
        result = engine.brief(docs)
        happened = [result.points[i] for i in result.meta["what_happened"]]
        differs += len(result.meta["what_differs"])
        ref = _rouge_tokens(group[0][1])
        cand = _rouge_tokens(" ".join(happened))
        r1.append(rouge_n(cand, ref, 1)[1])
        rl.append(rouge_l(cand, ref)[1])
        sentences = {d.id: article_sentences(d) for d in docs}
        for i in result.meta["what_happened"]:
            cite = result.citations[i]
            others = [d for d in docs if d.source != cite.source]
            total += 1
            covered += any(_near_duplicate(result.points[i], sentences[o.id]) for o in others)
    return {
        "stories": stories,
        "happened_rouge1_r": statistics.fmean(r1),
        "happened_rougeL_r": statistics.fmean(rl),
        "happened_coverage": covered / total if total else 0.0,
        "differs_per_story": differs / stories if stories else 0.0,
    }


def evaluate_summaries(path: Path) -> dict[str, dict[str, float]]:
    events = _load_events(path)
    systems: dict[str, Summariser] = {"builtin": _builtin, "lead-3": _lead3, "spread-3": _spread3}
    results: dict[str, dict[str, float]] = {}
    sentence_cache = {d.id: article_sentences(d) for group in events.values() for d, _ in group}
    for name, fn in systems.items():
        r1: list[tuple[float, float, float]] = []
        r2: list[tuple[float, float, float]] = []
        rl: list[tuple[float, float, float]] = []
        covered = total = 0
        redundancy: list[float] = []
        for group in events.values():
            for doc, event_title in group:
                summary = fn(doc)
                if not summary:
                    continue
                cand, ref = _rouge_tokens(" ".join(summary)), _rouge_tokens(event_title)
                r1.append(rouge_n(cand, ref, 1))
                r2.append(rouge_n(cand, ref, 2))
                rl.append(rouge_l(cand, ref))
                redundancy.append(_redundancy(summary))
                others = [d for d, _ in group if d.source != doc.source]
                if others:
                    for s in summary:
                        total += 1
                        covered += any(_near_duplicate(s, sentence_cache[o.id]) for o in others)
        results[name] = {
            "articles": len(r1),
            "rouge1_r": statistics.fmean(x[1] for x in r1),
            "rouge1_f": statistics.fmean(x[2] for x in r1),
            "rouge2_r": statistics.fmean(x[1] for x in r2),
            "rouge2_f": statistics.fmean(x[2] for x in r2),
            "rougeL_r": statistics.fmean(x[1] for x in rl),
            "rougeL_f": statistics.fmean(x[2] for x in rl),
            "coverage": covered / total if total else 0.0,
            "coverage_sentences": total,
            "redundancy": statistics.fmean(redundancy),
        }
    return results


# --- ask-the-article ------------------------------------------------------


def load_questions(qa_dir: Path) -> list[tuple[ArticleDoc, str, str | None]]:
    """(article, question, expected span or None) from ``qa_dir/qa.jsonl``."""
    out: list[tuple[ArticleDoc, str, str | None]] = []
    cache: dict[str, ArticleDoc] = {}
    for line in (qa_dir / "qa.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        name = row["article"]
        if name not in cache:
            cache[name] = load_sample_article(qa_dir / "articles" / name)
        out.append((cache[name], row["question"], row["answer"]))
    return out


def load_demo_questions(path: Path) -> list[tuple[ArticleDoc, str, str | None]]:
    """(article, question, expected span or None) on the demo corpus: rows of ``path``
    name a demo article by its key (``outlet/slug``)."""
    from tidings.demo import load_corpus

    corpus = load_corpus()
    out: list[tuple[ArticleDoc, str, str | None]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        a = corpus.article(row["article"])
        doc = ArticleDoc(
            id=a.key, title=a.title, text=a.text, source=corpus.outlet(a.outlet).name, url=""
        )
        out.append((doc, row["question"], row["answer"]))
    return out


def evaluate_ask(
    questions: Sequence[tuple[ArticleDoc, str, str | None]], engine: BuiltinEngine | None = None
) -> dict[str, Any]:
    engine = engine or BuiltinEngine()
    hits = answerable = refused_right = unanswerable = false_refusals = 0
    misses: list[str] = []
    for doc, question, span in questions:
        result = engine.ask(doc, question)
        if span is None:
            unanswerable += 1
            if not result.answered:
                refused_right += 1
            else:
                misses.append(f"answered unanswerable: {question}")
            continue
        answerable += 1
        if not result.answered:
            false_refusals += 1
            misses.append(f"refused: {question}")
        elif span in " ".join(result.points):
            hits += 1
        else:
            misses.append(f"wrong span: {question}")
    return {
        "answerable": answerable,
        "exact_span_hit_rate": hits / answerable if answerable else 0.0,
        "false_refusal_rate": false_refusals / answerable if answerable else 0.0,
        "unanswerable": unanswerable,
        "not_answered_accuracy": refused_right / unanswerable if unanswerable else 0.0,
        "misses": misses,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tidings bench ai", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=Path, default=DEFAULT_EVENTS, help="events JSONL corpus")
    parser.add_argument("--qa", type=Path, default=DEFAULT_QA_DIR, help="folder with qa.jsonl")
    parser.add_argument(
        "--demo-qa",
        type=Path,
        default=None,
        help="questions on the demo corpus (default: the shipped set, unless --qa is given)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(list(argv) if argv is not None else None)

    report: dict[str, Any] = {}
    if args.events.exists():
        report["summary"] = evaluate_summaries(args.events)
        report["brief"] = evaluate_briefs(args.events)
    else:
        print(f"skipping summaries: {args.events} not found", file=sys.stderr)
    if (args.qa / "qa.jsonl").exists():
        report["ask"] = evaluate_ask(load_questions(args.qa))
    else:
        print(f"skipping ask-the-article: {args.qa / 'qa.jsonl'} not found", file=sys.stderr)
    if args.demo_qa is None and args.qa == DEFAULT_QA_DIR:
        args.demo_qa = DEFAULT_DEMO_QA
    if args.demo_qa is not None and args.demo_qa.exists():
        report["ask_demo"] = evaluate_ask(load_demo_questions(args.demo_qa))
    if not report:
        return 2
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    if "summary" in report:
        print("Summaries (3 sentences) on", args.events)
        cols = ["rouge1_r", "rouge1_f", "rouge2_r", "rouge2_f", "rougeL_r", "rougeL_f"]
        print(
            f"{'system':10} {'n':>4} " + " ".join(f"{c:>8}" for c in cols) + "  coverage  redund."
        )
        for name, r in report["summary"].items():
            figures = " ".join(f"{r[c]:8.3f}" for c in cols)
            tail = f"{r['coverage']:8.3f}  {r['redundancy']:7.3f}"
            print(f"{name:10} {r['articles']:4d} {figures}  {tail}")
    if "brief" in report:
        b = report["brief"]
        print()
        print(f"Story briefings ({b['stories']} stories with >= 2 outlets)")
        print(f"  what happened: ROUGE-1 R {b['happened_rouge1_r']:.3f}", end="")
        print(f"  ROUGE-L R {b['happened_rougeL_r']:.3f}  coverage {b['happened_coverage']:.3f}")
        print(f"  what differs: {b['differs_per_story']:.2f} lines per story")
    for name, where in (("ask", args.qa / "qa.jsonl"), ("ask_demo", args.demo_qa)):
        if name not in report:
            continue
        a = report[name]
        print()
        print(f"Ask-the-article on {where}")
        hit, n_ans = a["exact_span_hit_rate"], a["answerable"]
        print(f"  exact-span hit rate   {hit:.3f}  ({n_ans} answerable)")
        print(f"  false refusals        {a['false_refusal_rate']:.3f}")
        refused, n_un = a["not_answered_accuracy"], a["unanswerable"]
        print(f"  not-answered accuracy {refused:.3f}  ({n_un} unanswerable)")
        for miss in a["misses"]:
            print("   -", miss)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
