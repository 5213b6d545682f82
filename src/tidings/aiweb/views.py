"""AI endpoints behind the article page's panel and the story page's briefing.

POST only (CSRF-protected). A request from the panel's script (``X-Requested-With``
or ``HX-Request`` header) gets an HTML fragment; a plain form post (no script) gets
a full page with the result and the anchored article text. With the LLM engine and
``Accept: text/event-stream`` the answer streams as server-sent events: text pieces
as ``data:`` lines, then ``event: html`` with the rendered fragment (or
``event: error``). Errors are short readable messages with a fitting status.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from tidings.aiweb.services import LANGUAGES, MAX_QUESTION, Job, get_engine, rate_limit
from tidings.aiweb.services import resolve_story as _resolve_story
from tidings.core import reltime
from tidings.core.ai import (
    FEATURES,
    STORY_FEATURES,
    AIResult,
    Engine,
    render_output,
)
from tidings.core.errors import (
    AIBudgetExceededError,
    AIError,
    ConfigError,
    LLMNotConfiguredError,
    LLMResponseError,
    LLMUnavailableError,
    RateLimitedError,
)
from tidings.news.models import Article, Story

LABELS = {
    "summary": "Summary",
    "key_points": "Key points",
    "ask": "Answer",
    "brief": "Briefing",
    "simplify": "Simpler version",
    "translate": "Translation",
    "five_ws": "The five Ws",
}
NEEDS_LLM = (
    "This feature needs a language model. The site operator can enable one by setting "
    "TIDINGS_AI_ENGINE=llm, TIDINGS_LLM_URL and TIDINGS_LLM_MODEL "
    "(any OpenAI-compatible endpoint, e.g. a local Ollama)."
)
_SPACE = re.compile(r"\s+")


class _Refused(Exception):
    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


def _client(request: HttpRequest) -> str:
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return "ip:" + str(request.META.get("REMOTE_ADDR", ""))


def _wants_fragment(request: HttpRequest) -> bool:
    return bool(request.headers.get("X-Requested-With") or request.headers.get("HX-Request"))


def _wants_stream(request: HttpRequest) -> bool:
    return "text/event-stream" in request.headers.get("Accept", "")


def _seconds_to_utc_midnight() -> int:
    now = datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, math.ceil((midnight - now).total_seconds()))


def _refusal(exc: Exception) -> _Refused:
    """The status and reader-facing message of an AI failure."""
    if isinstance(exc, RateLimitedError):
        wait = max(1, math.ceil(exc.retry_after))
        return _Refused(
            429, f"Too many AI requests — please try again in {reltime.wait(wait)}.", wait
        )
    if isinstance(exc, LLMNotConfiguredError | ConfigError):
        return _Refused(501, NEEDS_LLM)
    if isinstance(exc, AIBudgetExceededError):
        return _Refused(
            503,
            "Today's AI budget is used up; AI features resume tomorrow (UTC).",
            _seconds_to_utc_midnight(),
        )
    if isinstance(exc, LLMUnavailableError | LLMResponseError):
        return _Refused(
            503, "The language model is not answering right now. Please try again later.", 30
        )
    if isinstance(exc, AIError):
        return _Refused(400, exc.message)
    raise exc


def _error_response(
    request: HttpRequest, refused: _Refused, context: dict[str, object]
) -> HttpResponse:
    if _wants_fragment(request):
        body = render_to_string("aiweb/_error.html", {"message": refused.message})
    else:
        body = render_to_string(
            "aiweb/page.html", {**context, "error": refused.message}, request=request
        )
    response = HttpResponse(body, status=refused.status)
    if refused.retry_after is not None:
        response["Retry-After"] = str(refused.retry_after)
    return response


def _fragment(job: Job, result: AIResult, cache: str) -> str:
    return render_to_string(
        "aiweb/_result.html",
        {
            "feature": job.feature,
            "label": LABELS.get(job.feature, job.feature),
            "question": job.question,
            "language": LANGUAGES.get(job.language or "", job.language),
            "result": result,
            "html": render_output(result.text, allowed_links=job.links),
            "cache": cache,
        },
    )


def _result_response(
    request: HttpRequest, job: Job, result: AIResult, cache: str, context: dict[str, object]
) -> HttpResponse:
    fragment = _fragment(job, result, cache)
    if _wants_fragment(request):
        response = HttpResponse(fragment)
    else:
        response = HttpResponse(
            render_to_string("aiweb/page.html", {**context, "fragment": fragment}, request=request)
        )
    response["X-AI-Cache"] = cache
    response["Cache-Control"] = "private, no-store"
    return response


def _sse(data: str, event: str | None = None) -> bytes:
    lines = [f"event: {event}"] if event else []
    lines += [f"data: {line}" for line in data.split("\n")]
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def _stream_response(job: Job, engine: Engine) -> HttpResponseBase:
    """Start the model's answer; failures before its first piece are refused normally
    (so the retries and errors of the LLM client surface as a status), later ones as
    an ``error`` event."""
    pieces = job.stream(engine)
    try:
        first = next(pieces, "")
    except AIError as exc:
        raise _refusal(exc) from exc

    def events() -> Iterator[bytes]:
        text = [first]
        if first:
            yield _sse(first)
        try:
            for piece in pieces:
                text.append(piece)
                yield _sse(piece)
            result = job.finish(engine, "".join(text))
        except AIError as exc:
            yield _sse(_refusal(exc).message, "error")
            return
        yield _sse(_fragment(job, result, "miss"), "html")

    response = StreamingHttpResponse(events(), content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache, no-store"
    response["X-Accel-Buffering"] = "no"
    response["X-AI-Cache"] = "miss"
    return response


def _serve(request: HttpRequest, job: Job, context: dict[str, object]) -> HttpResponseBase:
    try:
        engine = get_engine()
        if job.feature not in engine.features:
            # Refused before the reader's allowance is counted: nothing was asked.
            raise _Refused(501, NEEDS_LLM)
        result = job.cached(engine)
        if result is not None:
            return _result_response(request, job, result, "hit", context)
        rate_limit(_client(request))
        if engine.name == "llm" and _wants_stream(request) and _wants_fragment(request):
            return _stream_response(job, engine)
        result = job.run(engine)
    except _Refused as refused:
        return _error_response(request, refused, context)
    except (AIError, ConfigError, RateLimitedError) as exc:
        return _error_response(request, _refusal(exc), context)
    return _result_response(request, job, result, "miss", context)


def _bad_request(request: HttpRequest, message: str, context: dict[str, object]) -> HttpResponse:
    return _error_response(request, _Refused(400, message), context)


@require_POST
def article_feature(request: HttpRequest, article_id: str, feature: str) -> HttpResponseBase:
    if feature not in FEATURES or feature in STORY_FEATURES:
        raise Http404("no such AI feature")
    article = get_object_or_404(Article.objects.select_related("source"), pk=article_id)
    context: dict[str, object] = {
        "article": article,
        "label": LABELS[feature],
        "back": article.get_absolute_url(),
    }
    question: str | None = None
    language: str | None = None
    if feature == "ask":
        question = _SPACE.sub(" ", request.POST.get("question", "")).strip()
        if not question:
            return _bad_request(request, "Type a question about the article first.", context)
        if len(question) > MAX_QUESTION:
            return _bad_request(
                request, f"Please keep the question under {MAX_QUESTION} characters.", context
            )
        context["question"] = question
    elif feature == "translate":
        language = request.POST.get("language", "").strip().lower()
        if language not in LANGUAGES:
            return _bad_request(request, "Choose one of the offered languages.", context)
    job = Job.for_article(article, feature, question=question, language=language)
    return _serve(request, job, context)


@require_POST
def story_brief(request: HttpRequest, story_id: str) -> HttpResponseBase:
    story = _resolve_story(get_object_or_404(Story, pk=story_id))
    job = Job.for_story(story)
    context: dict[str, object] = {
        "story": story,
        "label": LABELS["brief"],
        "back": story.get_absolute_url(),
    }
    if not job.subject:
        return _bad_request(request, "This story has no articles to brief on yet.", context)
    return _serve(request, job, context)
