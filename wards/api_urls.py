from rest_framework.routers import SimpleRouter

from .api import WardViewSet

router = SimpleRouter()
router.register("wards", WardViewSet, basename="ward")
urlpatterns = router.urls
