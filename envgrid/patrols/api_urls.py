from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("patrols", api.PatrolViewSet, basename="patrol")

urlpatterns = router.urls
