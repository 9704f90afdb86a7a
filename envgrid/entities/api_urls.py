from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("entities", api.EntityViewSet, basename="entity")
router.register("entity-import-jobs", api.ImportJobViewSet, basename="entity-import-job")

urlpatterns = router.urls
