from django.urls import path

from . import views

app_name = "allocation"
urlpatterns = [
    path("packages/<int:pk>/award/", views.package_award, name="package-award"),
]
