from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import ClaimExportView, ClaimViewSet, OfferExportView, OfferViewSet, PackageViewSet
from .batch_api import BatchViewSet, PackageWidenView
from .capacity_api import BranchCapacityView, CapacityListView

router = SimpleRouter()
router.register("packages", PackageViewSet, basename="package")
router.register("offers", OfferViewSet, basename="offer")
router.register("claims", ClaimViewSet, basename="claim")
router.register("batches", BatchViewSet, basename="batch")
urlpatterns = [
    path("offers/export.csv", OfferExportView.as_view(), name="offer-export"),
    path("claims/export.csv", ClaimExportView.as_view(), name="claim-export"),
    path("branches/<int:pk>/capacity/", BranchCapacityView.as_view(), name="branch-capacity"),
    path("capacity/", CapacityListView.as_view(), name="capacity-list"),
    path("packages/<int:pk>/widen/", PackageWidenView.as_view(), name="package-widen"),
    *router.urls,
]
