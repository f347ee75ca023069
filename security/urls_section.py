from django.urls import path, re_path

from security import views_section as views

urlpatterns = [
    path("applications/<int:pk>/security/", views.section, name="section"),
    path("applications/<int:pk>/security/cluster/", views.section_cluster, name="section_cluster"),
    path("applications/<int:pk>/setenv/", views.setenv, name="setenv"),
    re_path(r"^applications/(?P<pk>\d+)/setenv/download/(?P<kind>sh|bat)/$", views.setenv_download,
            name="setenv_download"),
]
