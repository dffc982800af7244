from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import KpiReturnFileViewSet, KpiReturnViewSet, KpiTriggerViewSet, ResponseRatesView

router = SimpleRouter()
router.register("kpi/returns", KpiReturnViewSet, basename="kpi-return")
router.register("kpi/return-uploads", KpiReturnFileViewSet, basename="kpi-return-upload")
router.register("kpi/triggers", KpiTriggerViewSet, basename="kpi-trigger")
urlpatterns = [
    path("kpi/response-rates/", ResponseRatesView.as_view(), name="kpi-response-rates"),
    *router.urls,
]
