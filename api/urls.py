"""/api/v1/: the schema, its documentation page, and one router for the resources."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from api.certificates import CertificateViewSet
from api.findings import FindingViewSet
from api.hosts import HostViewSet
from api.probes import ProbeViewSet
from api.stores import StoreViewSet
from api.sweeps import SweepViewSet

app_name = "api"

router = SimpleRouter()
# The Genesys configuration.
router.register("hosts", HostViewSet, basename="host")
# Certificates, trusted stores, findings, sweeps, probes.
router.register("certificates", CertificateViewSet, basename="certificate")
router.register("stores", StoreViewSet, basename="store")
router.register("findings", FindingViewSet, basename="finding")
router.register("sweeps", SweepViewSet, basename="sweep")
router.register("probes", ProbeViewSet, basename="probe")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("", include(router.urls)),
]
