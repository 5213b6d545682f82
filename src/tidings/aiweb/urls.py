from django.urls import URLPattern, URLResolver, path

from tidings.aiweb import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("ai/article/<str:article_id>/<str:feature>", views.article_feature, name="ai_article"),
    path("ai/story/<str:story_id>/brief", views.story_brief, name="ai_story"),
]
