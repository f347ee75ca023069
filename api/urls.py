"""/api/v1/: the schema, its documentation page, and one router for the resources."""

from django.urls import include, path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from api.applications import ApplicationViewSet
from api.audit import AuditEventViewSet
from api.certificates import CertificateViewSet
from api.effective_tls import ConnectionEffectiveTlsView, HostOptionsView, PortEffectiveTlsView
from api.filters import ID_PATTERN
from api.findings import FindingViewSet
from api.history import CompareView, RevertView, VersionDetailView, VersionListView
from api.hosts import HostViewSet
from api.notifications import CalendarView, ChannelViewSet, DeliveryViewSet, SubscriptionView
from api.options import ApplicationOptionsView, ClusterApplyView, SecuritySectionView
from api.ports import ConnectionViewSet, PortViewSet
from api.probes import ProbeViewSet
from api.stores import StoreViewSet
from api.sweeps import SweepViewSet
from api.users import UserViewSet

app_name = "api"


class IdConverter:
    """An object id: at most 18 digits, so a longer number is no route (404), never an overflow."""

    regex = ID_PATTERN

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)


register_converter(IdConverter, "id")

router = SimpleRouter()
# The Genesys configuration.
router.register("hosts", HostViewSet, basename="host")
router.register("applications", ApplicationViewSet, basename="application")
router.register("ports", PortViewSet, basename="port")
router.register("connections", ConnectionViewSet, basename="connection")
router.register("audit-events", AuditEventViewSet, basename="audit-event")
router.register("users", UserViewSet, basename="user")
# Certificates, trusted stores, findings, sweeps, probes.
router.register("certificates", CertificateViewSet, basename="certificate")
router.register("stores", StoreViewSet, basename="store")
router.register("findings", FindingViewSet, basename="finding")
router.register("sweeps", SweepViewSet, basename="sweep")
router.register("probes", ProbeViewSet, basename="probe")
# Notifications: channels, the delivery log (the user's own subscription and calendar: urlpatterns).
router.register("notifications/channels", ChannelViewSet, basename="notification-channel")
router.register("notifications/deliveries", DeliveryViewSet, basename="notification-delivery")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("applications/<id:pk>/options/", ApplicationOptionsView.as_view(), name="application-options"),
    path("hosts/<id:pk>/options/", HostOptionsView.as_view(), name="host-options"),
    path("connections/<id:pk>/effective-tls/", ConnectionEffectiveTlsView.as_view(), name="connection-effective-tls"),
    path("ports/<id:pk>/effective-tls/", PortEffectiveTlsView.as_view(), name="port-effective-tls"),
    path("applications/<id:pk>/security/", SecuritySectionView.as_view(), name="application-security"),
    path("applications/<id:pk>/security/cluster-apply/", ClusterApplyView.as_view(),
         name="application-cluster-apply"),
    path("applications/<id:pk>/versions/", VersionListView.as_view(), name="application-versions"),
    path("applications/<id:pk>/versions/<id:number>/", VersionDetailView.as_view(), name="application-version"),
    path("applications/<id:pk>/versions/<id:number>/revert/", RevertView.as_view(), name="application-revert"),
    path("applications/<id:pk>/compare/", CompareView.as_view(), name="application-compare"),
    path("notifications/subscription/", SubscriptionView.as_view(), name="notification-subscription"),
    path("notifications/calendar/", CalendarView.as_view(), name="notification-calendar"),
    path("", include(router.urls)),
]
