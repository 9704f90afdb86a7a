"""Administrators see accountability records read-only: every step goes through the
services (numbered, audited); nothing is added, changed or deleted here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from envgrid.core.admin import AuditedModelAdmin

from .models import AccountabilityProposal, ConsequenceFinding, ProposalEvent


class ReadOnlyAdmin(AuditedModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ConsequenceFinding)
class ConsequenceFindingAdmin(ReadOnlyAdmin):
    list_display = ["number", "unit", "level", "delay_days", "recorded_at"]
    list_filter = ["level"]
    search_fields = ["number", "facts"]


@admin.register(AccountabilityProposal)
class AccountabilityProposalAdmin(ReadOnlyAdmin):
    list_display = ["number", "leading_group", "status", "decision", "decision_number"]
    list_filter = ["status", "decision"]
    search_fields = ["number", "facts"]


@admin.register(ProposalEvent)
class ProposalEventAdmin(ReadOnlyAdmin):
    list_display = ["proposal", "action", "to_status", "at", "actor"]
