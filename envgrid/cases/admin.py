"""Admin: administrators edit the transfer time limits (T1–T4 rules as data); cases,
transfers and disputes are read-only here — their writes go through the services, which
keep the status history, the obligations and the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from envgrid.core.admin import EnvgridModelAdmin

from .models import Case, JurisdictionDispute, Transfer, TransferRule


@admin.register(TransferRule)
class TransferRuleAdmin(EnvgridModelAdmin):
    list_display = [
        "transfer_type",
        "step",
        "rule_kind",
        "amount",
        "start_event",
        "is_active",
        "updated_at",
    ]
    list_filter = ["transfer_type", "step", "is_active"]
    list_editable = ["amount", "is_active"]
    readonly_fields = ["updated_at"]

    # Edits (list_editable included) are audited by EnvgridModelAdmin.save_model.

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Switch a rule off instead: a missing row silently means "no time limit".
        return False


class _ReadOnly(EnvgridModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(_ReadOnly):
    list_display = ["number", "title", "source", "status", "owner_unit", "registered_at", "overdue"]
    list_filter = ["status", "source", "suspected_crime", "overdue"]
    search_fields = ["number", "title", "entity_name"]
    list_select_related = ["owner_unit"]
    raw_id_fields = ["occurrence_grid", "entity", "origin_transfer"]
    show_full_result_count = False


@admin.register(Transfer)
class TransferAdmin(_ReadOnly):
    list_display = ["number", "transfer_type", "status", "sender_unit", "receiver_unit", "sent_at"]
    list_filter = ["transfer_type", "status", "year"]
    search_fields = ["number"]
    list_select_related = ["sender_unit", "receiver_unit"]
    raw_id_fields = ["case"]


@admin.register(JurisdictionDispute)
class DisputeAdmin(_ReadOnly):
    list_display = [
        "pk",
        "raised_by_unit",
        "designating_unit",
        "status",
        "designated_unit",
        "raised_at",
    ]
    list_filter = ["status"]
    list_select_related = ["raised_by_unit", "designating_unit", "designated_unit"]
