from rest_framework.routers import SimpleRouter

from .api import BranchViewSet, ProviderViewSet

router = SimpleRouter()
router.register("providers", ProviderViewSet, basename="provider")
router.register("branches", BranchViewSet, basename="branch")
urlpatterns = router.urls
