from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("patrols", api.PatrolViewSet, basename="patrol")
router.register("patrol-plans", api.PatrolPlanViewSet, basename="patrol-plan")

urlpatterns = router.urls
