from django.contrib.auth import views as auth_views
from django.urls import include, path

from applications import views as app_views

# One log line per refused request, then Django's 403 page (cobrowse_admin.forbidden).
handler403 = "cobrowse_admin.forbidden.handler403"

urlpatterns = [
    path("", app_views.dashboard, name="dashboard"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("applications.urls")),
    path("security/", include("security.urls")),
    path("help/", include("help_pages.urls")),
]
