"""/api/obligations/…: scoped obligations, mine, the overdue register and hand actions."""

from rest_framework.routers import SimpleRouter

from . import api, supervision_api

router = SimpleRouter()
router.register("obligations", api.ObligationViewSet, basename="obligation")
router.register("supervisions", supervision_api.SupervisionViewSet, basename="supervision")

urlpatterns = router.urls
