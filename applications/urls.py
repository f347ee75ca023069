from django.urls import path

from applications import users, views, views_options, views_options_io, views_ports

app_name = "applications"
urlpatterns = [
    path("hosts/", views.host_list, name="host_list"),
    path("hosts/new/", views.host_edit, name="host_new"),
    path("hosts/<int:pk>/", views.host_detail, name="host_detail"),
    path("hosts/<int:pk>/edit/", views.host_edit, name="host_edit"),
    path("hosts/<int:pk>/delete/", views.host_delete, name="host_delete"),
    path("applications/", views.application_list, name="list"),
    path("applications/new/", views.application_edit, name="new"),
    path("applications/<int:pk>/", views.application_detail, name="detail"),
    path("applications/<int:pk>/edit/", views.application_edit, name="edit"),
    path("applications/<int:pk>/clone/", views.application_clone, name="clone"),
    path("applications/<int:pk>/delete/", views.application_delete, name="delete"),
    path("applications/<int:pk>/restarted/", views.application_mark_restarted, name="mark_restarted"),
    path("applications/<int:pk>/history/", views.application_history, name="history"),
    path("applications/<int:pk>/ports/", views_ports.ports_tab, name="ports"),
    path("applications/<int:pk>/server-info/edit/", views_ports.server_info_edit, name="server_info_edit"),
    path("applications/<int:pk>/ports/new/", views_ports.port_edit, name="port_new"),
    path("applications/<int:pk>/ports/<int:port_pk>/edit/", views_ports.port_edit, name="port_edit"),
    path("applications/<int:pk>/ports/<int:port_pk>/delete/", views_ports.port_delete, name="port_delete"),
    path("applications/<int:pk>/connections/", views_ports.connections_tab, name="connections"),
    path("applications/<int:pk>/connections/new/", views_ports.connection_edit, name="connection_new"),
    path("applications/<int:pk>/connections/<int:conn_pk>/edit/", views_ports.connection_edit,
         name="connection_edit"),
    path("applications/<int:pk>/connections/<int:conn_pk>/delete/", views_ports.connection_delete,
         name="connection_delete"),
    path("applications/<int:pk>/options/", views_options.options_tab, name="options"),
    path("applications/<int:pk>/options/edit/", views_options.options_edit, name="options_edit"),
    path("applications/<int:pk>/options/export/", views_options_io.options_export, name="options_export"),
    path("applications/<int:pk>/options/import/", views_options_io.options_import, name="options_import"),
    path("audit/", views.audit_list, name="audit"),
    path("users/", users.user_list, name="user_list"),
    path("users/new/", users.user_edit, name="user_new"),
    path("users/<int:pk>/", users.user_edit, name="user_edit"),
]
