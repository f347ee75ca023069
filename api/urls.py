"""/api/v1/: the schema, its documentation page, and one router for the resources."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from api.hosts import HostViewSet

app_name = "api"

router = SimpleRouter()
# The Genesys configuration.
router.register("hosts", HostViewSet, basename="host")
# Certificates, trusted stores, findings, sweeps, probes.

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("", include(router.urls)),
]
