from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("channels/", views.channel_list, name="channel_list"),
    path("channels/new/", views.channel_edit, name="channel_new"),
    path("channels/<int:pk>/", views.channel_edit, name="channel_edit"),
    path("channels/<int:pk>/delete/", views.channel_delete, name="channel_delete"),
    path("deliveries/", views.delivery_list, name="deliveries"),
    path("deliveries/<int:pk>/retry/", views.delivery_retry, name="delivery_retry"),
    path("mine/", views.my_notifications, name="mine"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
