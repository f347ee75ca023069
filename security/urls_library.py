from django.urls import path, re_path

from security import views_library as views
from security import views_store_history

urlpatterns = [
    path("certificates/", views.certificate_list, name="certificate_list"),
    path("certificates/upload/", views.certificate_upload, name="certificate_upload"),
    path("certificates/fetch/", views.certificate_fetch, name="certificate_fetch"),
    path("certificates/<int:pk>/", views.certificate_detail, name="certificate_detail"),
    re_path(r"^certificates/(?P<pk>\d+)/download/(?P<fmt>pem|der)/$", views.certificate_download,
            name="certificate_download"),
    path("certificates/<int:pk>/delete/", views.certificate_delete, name="certificate_delete"),
    path("stores/", views.store_list, name="store_list"),
    path("stores/new/", views.store_edit, name="store_new"),
    path("stores/<int:pk>/", views.store_detail, name="store_detail"),
    path("stores/<int:pk>/edit/", views.store_edit, name="store_edit"),
    path("stores/<int:pk>/delete/", views.store_delete, name="store_delete"),
    path("stores/<int:pk>/download/", views.store_download, name="store_download"),
    path("stores/<int:pk>/history/", views_store_history.store_history_page, name="store_history"),
    path("stores/<int:pk>/history/compare/", views_store_history.store_compare, name="store_compare"),
    path("stores/<int:pk>/history/<int:number>/revert/", views_store_history.store_revert, name="store_revert"),
]
