from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("search/", include("search.urls")),
    path("rooms/", include("rooms.urls")),
    path("", include("live.urls")),
    path("", include("lessons.urls")),
]
