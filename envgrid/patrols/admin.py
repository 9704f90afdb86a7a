"""Admin for patrols. Administrators may correct a grid's patrol plan here (every change
audited by AuditedModelAdmin); patrols, checks and photos are read-only — their writes go
through the services, which keep the track merge, the grid assignment of each point and
the audit log, and a patrol is never deleted (never voided)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from envgrid.core.admin import EnvgridModelAdmin, NoDeleteAdmin

from .models import Patrol, PatrolCheck, PatrolPhoto, PatrolPlan, PlanRequirement


class RequirementInline(admin.TabularInline):
    model = PlanRequirement
    extra = 0


@admin.register(PatrolPlan)
class PatrolPlanAdmin(NoDeleteAdmin):
    list_display = ["grid", "updated_at"]
    search_fields = ["grid__code", "grid__name"]
    raw_id_fields = ["grid"]
    filter_horizontal = ["staff"]
    inlines = [RequirementInline]


class _ReadOnly(EnvgridModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CheckInline(admin.TabularInline):
    model = PatrolCheck
    fields = ("entity", "checked_at", "result", "outside_grid", "case", "notes")
    readonly_fields = ("entity", "checked_at", "result", "outside_grid", "case", "notes")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Patrol)
class PatrolAdmin(_ReadOnly):
    list_display = [
        "pk",
        "staff",
        "grid",
        "status",
        "started_at",
        "ended_at",
        "point_count",
        "outside_seconds",
    ]
    list_filter = ["status"]
    search_fields = ["staff__name", "grid__code", "grid__name", "external_ref"]
    list_select_related = ["staff", "grid"]
    date_hierarchy = "started_at"
    inlines = [CheckInline]
    show_full_result_count = False


@admin.register(PatrolCheck)
class PatrolCheckAdmin(_ReadOnly):
    list_display = ["pk", "patrol", "entity", "checked_at", "result", "outside_grid", "case"]
    list_filter = ["result", "outside_grid"]
    search_fields = ["entity__name"]
    list_select_related = ["patrol__staff", "entity", "case"]
    raw_id_fields = ["patrol", "entity", "case"]
    show_full_result_count = False


@admin.register(PatrolPhoto)
class PatrolPhotoAdmin(_ReadOnly):
    list_display = ["pk", "patrol", "original_name", "mime", "size", "uploaded_at"]
    raw_id_fields = ["patrol", "check_item"]
