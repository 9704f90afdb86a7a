"""Admin view of joint enforcement: read-only. Every change goes through the services and
the status tables (workflow.py), which the admin would otherwise bypass."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from envgrid.core.admin import EnvgridModelAdmin

from .models import (
    ActionOfficer,
    ActionParticipant,
    ActionStatusChange,
    ActionTarget,
    Assignment,
    AssignmentEvent,
    Consultation,
    EnforcementAction,
    Finding,
    Inspection,
)


class ReadOnlyAdmin(EnvgridModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ParticipantInline(ReadOnlyInline):
    model = ActionParticipant
    fields = ["unit", "role", "grid", "duties", "liaison"]


class TargetInline(ReadOnlyInline):
    model = ActionTarget
    fields = ["entity", "grid", "is_key", "supervision"]


class OfficerInline(ReadOnlyInline):
    model = ActionOfficer
    fields = ["person", "participant", "cert_number", "cert_valid_to"]


class ConsultationInline(ReadOnlyInline):
    model = Consultation
    fields = ["held_on", "form", "conclusions", "recorded_by"]


class StatusChangeInline(ReadOnlyInline):
    model = ActionStatusChange
    fields = ["at", "from_status", "to_status", "actor", "note"]


@admin.register(EnforcementAction)
class EnforcementActionAdmin(ReadOnlyAdmin):
    list_display = ["title", "number", "category", "mode", "organiser_unit", "status", "start_date"]
    list_filter = ["status", "category", "mode"]
    search_fields = ["title", "number"]
    inlines = [
        ParticipantInline,
        TargetInline,
        OfficerInline,
        ConsultationInline,
        StatusChangeInline,
    ]


class AssignmentEventInline(ReadOnlyInline):
    model = AssignmentEvent
    fields = ["at", "action", "from_status", "to_status", "actor", "note"]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["action", "unit", "status", "issued_at", "ack_due_at", "acknowledged_at"]
    list_filter = ["status"]
    inlines = [AssignmentEventInline]


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    list_display = ["action", "entity", "inspected_at"]


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ["title", "action", "entity", "status", "case_number", "is_key"]
    list_filter = ["status", "is_key", "suspected_crime"]
