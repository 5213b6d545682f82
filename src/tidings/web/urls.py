from django.contrib import admin
from django.urls import include, path

from tidings.news.icons import serve_icon

# The reader pages come first: they take most requests, and Django tries patterns in order.
urlpatterns = [
    path("", include("tidings.site.urls")),
    path("", include("tidings.aiweb.urls")),
    path("", include("tidings.community.urls")),
    path("icons/<slug:slug>", serve_icon, name="source_icon"),
    path("admin/", admin.site.urls),
]
