from django.urls import path

from . import views

app_name = "wards"
urlpatterns = [
    path("", views.ward_list, name="list"),
    path("register/", views.register_version_list, name="register-versions"),
    path("register/v<int:number>.csv", views.register_version_csv, name="register-version-csv"),
    path(
        "register/v<int:number>/changes/",
        views.register_version_changes,
        name="register-version-changes",
    ),
]
