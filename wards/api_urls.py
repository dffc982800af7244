from django.urls import re_path
from rest_framework.routers import SimpleRouter

from .api import RegisterVersionViewSet, WardRequestViewSet, WardViewSet

router = SimpleRouter()
router.register("wards", WardViewSet, basename="ward")
router.register("register/versions", RegisterVersionViewSet, basename="register-version")
router.register("ward-requests", WardRequestViewSet, basename="ward-request")
urlpatterns = [
    # API.md names the download `/register/versions/{n}/export.csv`, without the router's slash.
    re_path(
        r"^register/versions/(?P<number>\d+)/export\.csv$",
        RegisterVersionViewSet.as_view({"get": "export"}),
        name="register-version-export-csv",
    ),
    *router.urls,
]
