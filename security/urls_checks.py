from django.urls import path

from security import views_checks, views_compliance, views_effective, views_findings, views_map

urlpatterns = [
    path("findings/", views_findings.findings, name="findings"),
    path("findings/export.csv", views_findings.findings_export, name="findings_export"),
    path("compliance/", views_compliance.compliance, name="compliance"),
    path("compliance/report.csv", views_compliance.compliance_export, name="compliance_export"),
    path("review/", views_checks.review, name="review"),
    path("review/export.csv", views_checks.review_export, name="review_export"),
    path("map/", views_map.connection_map, name="map"),
    path("review/connections/<int:pk>/probe/", views_checks.probe, name="probe"),
    path("review/connections/<int:pk>/probes/", views_checks.probe_history, name="probe_history"),
    path("review/probe-all/", views_checks.probe_all, name="probe_all"),
    path("connections/<int:pk>/tls/", views_effective.connection_tls, name="connection_tls"),
    path("ports/<int:pk>/tls/", views_effective.port_tls, name="port_tls"),
    path("sweeps/start/", views_checks.sweep_start, name="sweep_start"),
    path("sweeps/<int:pk>/", views_checks.sweep_detail, name="sweep_detail"),
    path("sweeps/<int:pk>/status/", views_checks.sweep_status, name="sweep_status"),
]
