"""The product's URLs plus stand-in AI endpoints, to render the AI panel in tests."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def _feature(request: HttpRequest, article_id: str, feature: str) -> HttpResponse:
    return HttpResponse(f"<p>{feature} for {article_id}</p>")


def _brief(request: HttpRequest, story_id: str) -> HttpResponse:
    return HttpResponse(f"<p>brief for {story_id}</p>")


urlpatterns = [
    path("ai/article/<str:article_id>/<str:feature>", _feature, name="ai_article"),
    path("ai/story/<str:story_id>/brief", _brief, name="ai_story"),
    path("", include("tidings.web.urls")),
]
