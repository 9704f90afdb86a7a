"""Staff UI routes of joint meetings (mounted at /meetings/, namespace "meetings")."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.meeting_list_view, name="list"),
    path("new/", views.meeting_create_view, name="create"),
    path("<int:pk>/", views.meeting_detail_view, name="detail"),
    path("<int:pk>/attendance/", views.meeting_attendance_view, name="attendance"),
    path("<int:pk>/participants/", views.meeting_participant_add_view, name="participant_add"),
    path("<int:pk>/hold/", views.meeting_hold_view, name="hold"),
    path("<int:pk>/minutes/", views.meeting_minutes_view, name="minutes"),
    path("<int:pk>/minutes/issue/", views.meeting_issue_minutes_view, name="issue_minutes"),
    path("<int:pk>/minutes.docx", views.minutes_docx_view, name="minutes_docx"),
    path("<int:pk>/cancel/", views.meeting_cancel_view, name="cancel"),
    path("<int:pk>/decisions/new/", views.decision_create_view, name="decision_create"),
    path("decisions/", views.decision_tracker_view, name="decisions"),
    path("decisions/<int:pk>/", views.decision_detail_view, name="decision_detail"),
    path("decisions/<int:pk>/progress/", views.decision_progress_view, name="decision_progress"),
    path("decisions/<int:pk>/close/", views.decision_close_view, name="decision_close"),
    path("decisions/<int:pk>/reject/", views.decision_reject_view, name="decision_reject"),
    path("decisions/<int:pk>/withdraw/", views.decision_withdraw_view, name="decision_withdraw"),
    path("task-reports/", views.task_report_list_view, name="task_reports"),
    path("task-reports/<int:pk>/", views.task_report_detail_view, name="task_report_detail"),
]
