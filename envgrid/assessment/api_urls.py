"""/api/assessment/…: plans and indicators, assessments, unit evaluations, evidence,
objections, and the registered metrics."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("assessment/plans", api.PlanViewSet, basename="assessment-plan")
router.register("assessment/indicators", api.IndicatorViewSet, basename="assessment-indicator")
router.register("assessment/assessments", api.AssessmentViewSet, basename="assessment-assessment")
router.register("assessment/evaluations", api.EvaluationViewSet, basename="assessment-evaluation")
router.register("assessment/evidence", api.EvidenceViewSet, basename="assessment-evidence")
router.register("assessment/objections", api.ObjectionViewSet, basename="assessment-objection")

urlpatterns = [
    path("assessment/metrics/", api.MetricListView.as_view(), name="assessment-metrics"),
    *router.urls,
]
