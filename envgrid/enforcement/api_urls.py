"""/api/enforcement/…: actions, participants, targets, officers, assignments,
inspections, findings, and the acknowledgement record for assessment."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("enforcement/actions", api.ActionViewSet, basename="enforcement-action")
router.register(
    "enforcement/participants", api.ParticipantViewSet, basename="enforcement-participant"
)
router.register("enforcement/targets", api.TargetViewSet, basename="enforcement-target")
router.register("enforcement/officers", api.OfficerViewSet, basename="enforcement-officer")
router.register("enforcement/assignments", api.AssignmentViewSet, basename="enforcement-assignment")
router.register("enforcement/inspections", api.InspectionViewSet, basename="enforcement-inspection")
router.register(
    "enforcement/consultations", api.ConsultationViewSet, basename="enforcement-consultation"
)
router.register("enforcement/findings", api.FindingViewSet, basename="enforcement-finding")

urlpatterns = [
    path("enforcement/ack-stats/", api.AckStatsView.as_view(), name="enforcement-ack-stats"),
    *router.urls,
]
