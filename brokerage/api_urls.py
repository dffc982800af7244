from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import OfferExportView, OfferViewSet, PackageViewSet
from .capacity_api import BranchCapacityView, CapacityListView

router = SimpleRouter()
router.register("packages", PackageViewSet, basename="package")
router.register("offers", OfferViewSet, basename="offer")
urlpatterns = [
    path("offers/export.csv", OfferExportView.as_view(), name="offer-export"),
    path("branches/<int:pk>/capacity/", BranchCapacityView.as_view(), name="branch-capacity"),
    path("capacity/", CapacityListView.as_view(), name="capacity-list"),
    *router.urls,
]
