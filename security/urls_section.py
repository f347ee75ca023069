from django.urls import path, re_path

from security import views_section as views
from security import views_setenv

urlpatterns = [
    path("applications/<int:pk>/security/", views.section, name="section"),
    path("applications/<int:pk>/security/cluster/", views.section_cluster, name="section_cluster"),
    path("applications/<int:pk>/setenv/", views_setenv.setenv, name="setenv"),
    path("applications/<int:pk>/setenv/patched/", views_setenv.setenv_patched, name="setenv_patched"),
    re_path(r"^applications/(?P<pk>\d+)/setenv/download/(?P<kind>sh|bat)/$", views_setenv.setenv_download,
            name="setenv_download"),
]
