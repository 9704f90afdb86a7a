"""API routes of joint meetings (mounted under /api/)."""

from rest_framework.routers import DefaultRouter

from .api import DecisionViewSet, MeetingViewSet, TaskReportScheduleViewSet, TaskReportViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("meetings", MeetingViewSet, basename="meetings-meeting")
router.register("meeting-decisions", DecisionViewSet, basename="meetings-decision")
router.register(
    "meeting-task-report-schedules",
    TaskReportScheduleViewSet,
    basename="meetings-task-report-schedule",
)
router.register("meeting-task-reports", TaskReportViewSet, basename="meetings-task-report")

urlpatterns = router.urls
