"""Administrators' view of meetings. Meetings, decisions and task reports are read-only
here: scheduling checks who may convene (M4), decisions carry their owners' obligations
(M5) and reports close theirs, so every write goes through the services; nothing is ever
deleted (a meeting is cancelled, a decision withdrawn)."""

from django.contrib import admin
from django.http import HttpRequest

from envgrid.core.admin import EnvgridModelAdmin, ReadOnlyModelAdmin

from .models import (
    AgendaItem,
    Decision,
    DecisionOwner,
    DecisionProgress,
    Meeting,
    Participant,
    TaskReport,
    TaskReportSchedule,
)


class AgendaInline(admin.TabularInline):
    model = AgendaItem
    extra = 0
    readonly_fields = ["link_type", "link_id", "link_repr"]


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyModelAdmin):
    list_display = ["title", "scope", "starts_at", "convener", "status", "minutes_number"]
    list_filter = ["scope", "status", "leading_group"]
    search_fields = ["title", "minutes_number"]
    date_hierarchy = "starts_at"
    inlines = [AgendaInline, ParticipantInline]
    readonly_fields = ["status", "minutes_number", "minutes_issued_at", "delegation"]


class OwnerInline(admin.TabularInline):
    model = DecisionOwner
    extra = 0
    readonly_fields = ["obligation", "reported_done_at"]


class ProgressInline(admin.TabularInline):
    model = DecisionProgress
    extra = 0
    readonly_fields = ["unit", "person", "at", "text", "is_completion"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyModelAdmin):
    list_display = ["__str__", "due_date", "status", "escalated_at"]
    list_filter = ["status"]
    search_fields = ["text", "meeting__title"]
    inlines = [OwnerInline, ProgressInline]
    readonly_fields = ["status", "closed_at", "closed_by", "escalated_at"]


@admin.register(TaskReportSchedule)
class TaskReportScheduleAdmin(EnvgridModelAdmin):
    """An administrator may correct or switch off a schedule (audited); a new schedule is
    set up through the service, which checks it and generates the reports owed."""

    list_display = ["title", "leading_group", "interval", "starts_on", "due_workdays", "is_active"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(TaskReport)
class TaskReportAdmin(ReadOnlyModelAdmin):
    list_display = ["schedule", "unit", "period_start", "period_end", "submitted_at"]
    list_filter = ["schedule"]
    readonly_fields = ["obligation", "submitted_at", "submitted_by"]
