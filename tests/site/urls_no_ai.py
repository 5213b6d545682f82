"""The product's URLs without the AI features app, to check the page works without it."""

from django.urls import include, path

urlpatterns = [
    path("", include("tidings.community.urls")),
    path("", include("tidings.site.urls")),
]
