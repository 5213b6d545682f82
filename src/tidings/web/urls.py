from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("tidings.community.urls")),
    path("", include("tidings.aiweb.urls")),
    path("", include("tidings.site.urls")),
]
