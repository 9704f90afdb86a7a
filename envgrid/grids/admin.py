"""Administrators: staffing rules are edited here; grids, rosters and history are shown
read-only (their changes go through the services, which check G1 and keep G5 history)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from envgrid.core.admin import EnvgridModelAdmin

from .models import Grid, GridAssignment, GridHistory, MajorAdjustment, StaffingRule


class ReadOnlyAdmin(EnvgridModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Grid)
class GridAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "level", "parent", "owner_unit", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["code", "name"]


@admin.register(GridAssignment)
class GridAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["grid", "role", "person", "started_at", "ended_at"]
    list_filter = ["role"]
    search_fields = ["grid__code", "grid__name", "person__name"]


@admin.register(GridHistory)
class GridHistoryAdmin(ReadOnlyAdmin):
    list_display = ["at", "grid", "kind", "summary", "actor_repr", "is_major"]
    list_filter = ["kind", "is_major"]
    search_fields = ["grid__code", "summary"]


@admin.register(MajorAdjustment)
class MajorAdjustmentAdmin(ReadOnlyAdmin):
    list_display = ["made_at", "grid", "kind", "summary", "reported_at", "disclosed_at"]


@admin.register(StaffingRule)
class StaffingRuleAdmin(EnvgridModelAdmin):
    list_display = ["level", "min_staff"]
