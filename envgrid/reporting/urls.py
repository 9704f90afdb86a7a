"""Staff pages under /reporting/ (namespace "reporting")."""

from django.urls import path

from . import dashboard_views, views

urlpatterns = [
    path("", dashboard_views.dashboard, name="dashboard"),
    path("drill/<slug:key>/", dashboard_views.drill, name="drill"),
    path("reports/", views.report_list_view, name="list"),
    path("reports/new/", views.report_new, name="create"),
    path("reports/<int:pk>/", views.report_detail, name="detail"),
    path("reports/<int:pk>/edit/", views.report_edit, name="edit"),
    path("reports/<int:pk>/act/", views.report_act_view, name="act"),
    path("schedules/", views.schedule_list_view, name="schedule_list"),
    path("schedules/new/", views.schedule_new, name="schedule_new"),
    path("schedules/<int:pk>/edit/", views.schedule_edit, name="schedule_edit"),
    path("schedules/generate/", views.schedule_generate, name="schedule_generate"),
    path("dues/", views.due_list_view, name="due_list"),
    path("dues/<int:pk>/waive/", views.due_waive_view, name="due_waive"),
    path("compliance/", views.compliance_view, name="compliance"),
    path("officers/", views.officers_view, name="officers"),
]
