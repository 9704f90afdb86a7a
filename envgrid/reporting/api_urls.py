"""/api/reporting/…: reports, schedules, due reports, compliance, officers, dashboard."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("reporting/reports", api.ReportViewSet, basename="reporting-report")
router.register("reporting/schedules", api.ScheduleViewSet, basename="reporting-schedule")
router.register("reporting/dues", api.DueViewSet, basename="reporting-due")

urlpatterns = [
    path("reporting/compliance/", api.ComplianceView.as_view(), name="reporting-compliance"),
    path("reporting/officers/", api.OfficerView.as_view(), name="reporting-officers"),
    path("reporting/dashboard/", api.DashboardView.as_view(), name="reporting-dashboard"),
    *router.urls,
]
