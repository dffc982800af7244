from django.urls import path

from . import import_views, request_views, views

app_name = "wards"
urlpatterns = [
    path("", views.ward_list, name="list"),
    path("export.csv", views.ward_list_csv, name="list-csv"),
    path("mine/", request_views.my_wards, name="mine"),
    path("requests/", request_views.request_list, name="requests"),
    path("requests/new/", request_views.request_create, name="request-create"),
    path("requests/<int:pk>/", request_views.request_detail, name="request"),
    path("requests/<int:pk>/withdraw/", request_views.request_withdraw, name="request-withdraw"),
    path("register/", views.register_version_list, name="register-versions"),
    path("register/compare/", views.register_compare, name="register-compare"),
    path("register/import/", import_views.register_upload, name="import"),
    path("register/v<int:number>.csv", views.register_version_csv, name="register-version-csv"),
    path(
        "register/v<int:number>/changes/",
        views.register_version_changes,
        name="register-version-changes",
    ),
    path(
        "register/v<int:number>/changes.csv",
        views.register_version_changes_csv,
        name="register-version-changes-csv",
    ),
]
