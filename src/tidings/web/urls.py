from django.contrib import admin
from django.urls import include, path

from tidings.news.icons import serve_icon

urlpatterns = [
    path("admin/", admin.site.urls),
    path("icons/<slug:slug>", serve_icon, name="source_icon"),
    path("", include("tidings.community.urls")),
    path("", include("tidings.aiweb.urls")),
    path("", include("tidings.site.urls")),
]
