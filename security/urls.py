"""Security URLs, one module per feature so each can grow on its own."""

from django.urls import include, path

app_name = "security"
urlpatterns = [
    path("", include("security.urls_library")),
    path("", include("security.urls_section")),
    path("", include("security.urls_checks")),
]
