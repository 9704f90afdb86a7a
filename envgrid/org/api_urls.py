"""/api/org/…: units, persons, leading groups, delegations, and who am I."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("org/units", api.UnitViewSet, basename="org-unit")
router.register("org/persons", api.PersonViewSet, basename="org-person")
router.register("org/groups", api.LeadingGroupViewSet, basename="org-group")
router.register("org/delegations", api.DelegationViewSet, basename="org-delegation")
router.register("org/training-records", api.TrainingRecordViewSet, basename="org-training-record")

urlpatterns = [
    path("org/me/", api.MeView.as_view(), name="org-me"),
    *router.urls,
]
