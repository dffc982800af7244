from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import (
    ChallengeViewSet,
    DeclineReasonsView,
    KpiReturnFileViewSet,
    KpiReturnViewSet,
    KpiTriggerViewSet,
    OfferChallengeView,
    ResponseRatesView,
)

router = SimpleRouter()
router.register("kpi/returns", KpiReturnViewSet, basename="kpi-return")
router.register("kpi/return-uploads", KpiReturnFileViewSet, basename="kpi-return-upload")
router.register("kpi/triggers", KpiTriggerViewSet, basename="kpi-trigger")
router.register("challenges", ChallengeViewSet, basename="challenge")
urlpatterns = [
    path("offers/<int:pk>/challenge/", OfferChallengeView.as_view(), name="offer-challenge"),
    path("kpi/response-rates/", ResponseRatesView.as_view(), name="kpi-response-rates"),
    path("kpi/decline-reasons/", DeclineReasonsView.as_view(), name="kpi-decline-reasons"),
    *router.urls,
]
