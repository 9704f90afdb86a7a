from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("accountability/findings", api.FindingViewSet, basename="accountability-finding")
router.register("accountability/proposals", api.ProposalViewSet, basename="accountability-proposal")

urlpatterns = router.urls
