"""/api/obligations/…: scoped obligations, mine, the overdue register and hand actions."""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("obligations", api.ObligationViewSet, basename="obligation")

urlpatterns = router.urls
