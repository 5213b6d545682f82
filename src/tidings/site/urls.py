from django.urls import path

from tidings.site import feeds, views

# Slugs are matched as `str`: article slugs keep letters of non-Latin scripts.
urlpatterns = [
    path("", views.home, name="home"),
    path("article/<str:article_id>/", views.article_redirect, name="article_short"),
    path("article/<str:article_id>/<str:slug>", views.article, name="article"),
    path("story/<str:story_id>", views.story, name="story"),
    path("source/<str:slug>", views.source, name="source"),
    path("topic/<str:slug>", views.topic, name="topic"),
    path("search", views.search, name="search"),
    path("feed", feeds.LatestArticles(), name="feed"),
]
