"""Administrators see entities and import jobs; changes go through the services (the grid
is derived from the point and every change of grid is kept as history)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from envgrid.core.admin import EnvgridModelAdmin

from .models import EntityImportJob, SupervisedEntity


class ReadOnlyAdmin(EnvgridModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(SupervisedEntity)
class SupervisedEntityAdmin(ReadOnlyAdmin):
    list_display = ["name", "uscc", "category", "status", "grid"]
    list_filter = ["category", "status"]
    search_fields = ["name", "uscc", "address"]


@admin.register(EntityImportJob)
class EntityImportJobAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "filename", "status", "total_rows", "created_count"]
    exclude = ["content"]
