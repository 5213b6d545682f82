"""Reader pages (placeholder views until the site lands)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect

from tidings.news.models import Article


def home(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Tidings")


def article_redirect(request: HttpRequest, article_id: str) -> HttpResponse:
    art = get_object_or_404(Article, pk=article_id)
    return redirect(art.get_absolute_url(), permanent=True)


def article(request: HttpRequest, article_id: str, slug: str) -> HttpResponse:
    art = get_object_or_404(Article, pk=article_id)
    return HttpResponse(art.title)


def story(request: HttpRequest, story_id: str) -> HttpResponse:
    raise Http404


def source(request: HttpRequest, slug: str) -> HttpResponse:
    raise Http404


def topic(request: HttpRequest, slug: str) -> HttpResponse:
    raise Http404


def search(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")
