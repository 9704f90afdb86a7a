"""Admin: the petition time limits are configuration an administrator edits here; the
records themselves change only through the audited services, so they are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from envgrid.core.admin import EnvgridModelAdmin

from .models import EmissionBatch, Hazard, Petition, PetitionRules, Publication


@admin.register(PetitionRules)
class PetitionRulesAdmin(EnvgridModelAdmin):
    list_display = (
        "ack_amount",
        "ack_kind",
        "handle_amount",
        "extension_max",
        "objection_amount",
        "objection_kind",
        "duplicate_window_days",
        "duplicate_radius_m",
    )

    def has_add_permission(self, request: Any) -> bool:
        return not PetitionRules.objects.exists()


class ReadOnlyAdmin(EnvgridModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "unit", "status", "published_at", "withdrawn_at")
    list_filter = ("kind", "status")
    search_fields = ("title",)


@admin.register(Petition)
class PetitionAdmin(ReadOnlyAdmin):
    list_display = ("tracking_code", "category", "unit", "status", "received_at")
    list_filter = ("status", "category", "source")
    search_fields = ("tracking_code",)
    exclude = ("contact_name", "contact_phone", "contact_email")


@admin.register(Hazard)
class HazardAdmin(ReadOnlyAdmin):
    list_display = ("place", "kind", "level", "status", "responsible_unit", "found_on")
    list_filter = ("kind", "level", "status")


@admin.register(EmissionBatch)
class EmissionBatchAdmin(ReadOnlyAdmin):
    list_display = ("title", "unit", "imported_at", "row_count", "exceedance_count")
