"""Admin views of obligations and supervision notices: read-only, because every change
goes through the services (deadlines are recomputed, history and audit rows written)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from envgrid.core.admin import EnvgridModelAdmin

from .models import Obligation, ObligationEvent, ObligationExtension, ObligationPause, Supervision


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(ReadOnlyMixin, admin.TabularInline):
    model = ObligationEvent
    fields = readonly_fields = ("at", "action", "actor", "note", "due_at")
    extra = 0


class PauseInline(ReadOnlyMixin, admin.TabularInline):
    model = ObligationPause
    fields = readonly_fields = ("started_at", "ended_at", "reason", "approver")
    extra = 0


class ExtensionInline(ReadOnlyMixin, admin.TabularInline):
    model = ObligationExtension
    fields = readonly_fields = ("created_at", "amount", "reason", "approver")
    extra = 0


@admin.register(Obligation)
class ObligationAdmin(ReadOnlyMixin, EnvgridModelAdmin):
    list_display = ["title", "kind", "unit", "person", "due_at", "status", "completed_late"]
    list_filter = ["status", "completed_late", "rule_kind"]
    search_fields = ["title", "kind", "unit__name"]
    date_hierarchy = "due_at"
    list_select_related = ["unit", "person"]
    inlines = [PauseInline, ExtensionInline, EventInline]


@admin.register(Supervision)
class SupervisionAdmin(ReadOnlyMixin, EnvgridModelAdmin):
    list_display = ["number", "issuer", "target", "issued_at", "status"]
    list_filter = ["status"]
    search_fields = ["number", "reason"]
    list_select_related = ["issuer", "target"]
