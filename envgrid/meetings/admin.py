"""Administrators' view of meetings (read-mostly: changes go through the services)."""

from django.contrib import admin

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
class MeetingAdmin(admin.ModelAdmin):
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
class DecisionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "due_date", "status", "escalated_at"]
    list_filter = ["status"]
    search_fields = ["text", "meeting__title"]
    inlines = [OwnerInline, ProgressInline]
    readonly_fields = ["status", "closed_at", "closed_by", "escalated_at"]


@admin.register(TaskReportSchedule)
class TaskReportScheduleAdmin(admin.ModelAdmin):
    list_display = ["title", "leading_group", "interval", "starts_on", "due_workdays", "is_active"]


@admin.register(TaskReport)
class TaskReportAdmin(admin.ModelAdmin):
    list_display = ["schedule", "unit", "period_start", "period_end", "submitted_at"]
    list_filter = ["schedule"]
    readonly_fields = ["obligation", "submitted_at", "submitted_by"]
