from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import OfferExportView, OfferViewSet, PackageViewSet

router = SimpleRouter()
router.register("packages", PackageViewSet, basename="package")
router.register("offers", OfferViewSet, basename="offer")
urlpatterns = [
    path("offers/export.csv", OfferExportView.as_view(), name="offer-export"),
    *router.urls,
]
