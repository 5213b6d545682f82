from django.urls import path

from tidings.site import views

urlpatterns = [
    path("", views.home, name="home"),
    path("article/<str:article_id>/", views.article_redirect, name="article_short"),
    path("article/<str:article_id>/<slug:slug>", views.article, name="article"),
    path("story/<str:story_id>", views.story, name="story"),
    path("source/<slug:slug>", views.source, name="source"),
    path("topic/<slug:slug>", views.topic, name="topic"),
    path("search", views.search, name="search"),
]
