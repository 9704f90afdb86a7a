from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("grids", api.GridViewSet, basename="grid")
router.register("grid-assignments", api.AssignmentViewSet, basename="grid-assignment")
router.register(
    "grid-major-adjustments", api.MajorAdjustmentViewSet, basename="grid-major-adjustment"
)

# Fixed paths before the router, whose detail pattern would otherwise take "resolve".
urlpatterns = [
    path("grids/resolve/", api.GridResolveView.as_view(), name="grid-resolve"),
    path("grids/resolve-many/", api.GridResolveManyView.as_view(), name="grid-resolve-many"),
    *router.urls,
]
