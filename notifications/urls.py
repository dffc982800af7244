from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("providers/<str:ref>/notifications/", views.provider_notifications, name="provider"),
]
