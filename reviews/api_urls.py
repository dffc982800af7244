from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import ReviewExportView, ReviewViewSet

router = SimpleRouter()
router.register("reviews", ReviewViewSet, basename="review")
urlpatterns = [
    path("reviews/export.csv", ReviewExportView.as_view(), name="review-export"),
    *router.urls,
]
