from django.contrib.auth import views as auth_views
from django.urls import include, path

from api import profile as api_profile
from console import views as console_views

# One log line per refused request, then Django's 403 page (cobrowse_admin.forbidden).
handler403 = "cobrowse_admin.forbidden.handler403"
# Under /api/, Django's own errors answer as problem+json like the API's (api/problems.py).
handler400 = "api.problems.handler400"
handler404 = "api.problems.handler404"
handler500 = "api.problems.handler500"

urlpatterns = [
    path("", console_views.dashboard, name="dashboard"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("applications.urls")),
    path("security/", include("security.urls")),
    path("help/", include("help_pages.urls")),
    path("notifications/", include("notifications.urls")),
    path("profile/tokens/", api_profile.profile_tokens, name="profile_tokens"),
    path("api/v1/", include("api.urls")),
]
