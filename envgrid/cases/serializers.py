"""API shapes for cases, transfers and disputes.

Output serializers render from select_related rows (no query per row); input serializers
check shape only — types, choices, ids the caller may name — and hand a dict to one
service, which applies the rules (STYLE rule 6)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from envgrid.core import limits
from envgrid.core.serializer_fields import (
    StrictBooleanField,
    StrictCharField,
    StrictFloatField,
    StrictIntegerField,
)
from envgrid.org.models import Person, Unit

from .coords import CoordSystem
from .models import (
    Case,
    CaseOutcome,
    CaseSource,
    CrimeFlagClearance,
    CriminalDecision,
    Evidence,
    JurisdictionDispute,
    Transfer,
    TransferEvidence,
    TransferRule,
    TransferType,
)


def _user(serializer: Any) -> Any:
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class VisibleUnitField(serializers.PrimaryKeyRelatedField):
    """A unit the caller may name: one in its directory (UnitPolicy), and active."""

    queryset = Unit.objects.all()  # for the schema; get_queryset scopes it

    def get_queryset(self) -> Any:
        from envgrid.org.policies import unit_policy

        return unit_policy.scope(_user(self.parent) if self.parent else None).filter(is_active=True)


class OwnPersonField(serializers.PrimaryKeyRelatedField):
    queryset = Person.objects.all()  # for the schema; get_queryset scopes it

    def get_queryset(self) -> Any:
        from envgrid.org.policies import person_policy

        return person_policy.scope(_user(self.parent) if self.parent else None)


class VisibleEntityField(serializers.PrimaryKeyRelatedField):
    queryset = None  # set lazily: entities may not be importable at import time

    def __init__(self, **kwargs: Any) -> None:
        from envgrid.entities.models import SupervisedEntity

        kwargs.setdefault("queryset", SupervisedEntity.objects.all())
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        from envgrid.entities.models import SupervisedEntity

        return SupervisedEntity.objects.all()


class CaseSerializer(serializers.ModelSerializer):
    # Blank until the case is closed: read-only fields lose allow_blank, so say it here.
    outcome = serializers.ChoiceField(choices=CaseOutcome.choices, allow_blank=True, read_only=True)
    source_display = serializers.CharField(source="get_source_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    owner_unit_name = serializers.CharField(source="owner_unit.name", read_only=True)
    discovered_by_unit_name = serializers.CharField(
        source="discovered_by_unit.name", read_only=True
    )
    proposed_unit_name = serializers.CharField(
        source="proposed_unit.name", read_only=True, default=None
    )
    occurrence_grid_name = serializers.CharField(
        source="occurrence_grid.name", read_only=True, default=None
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "title",
            "source",
            "source_display",
            "status",
            "status_display",
            "owner_unit",
            "owner_unit_name",
            "occurrence_grid",
            "occurrence_grid_name",
            "proposed_unit",
            "proposed_unit_name",
            "discovered_at",
            "discovered_by_unit",
            "discovered_by_unit_name",
            "reported_at",
            "registered_at",
            "entity_name",
            "suspected_crime",
            "detention_needed",
            "discipline_breach",
            "overdue",
            "outcome",
        ]
        read_only_fields = fields


class CaseDetailSerializer(CaseSerializer):
    class Meta(CaseSerializer.Meta):
        fields = [
            *CaseSerializer.Meta.fields,
            "lon",
            "lat",
            "input_crs",
            "input_lon",
            "input_lat",
            "address",
            "handler",
            "discovered_by_person",
            "description",
            "entity",
            "entity_uscc",
            "responsible_person",
            "facts",
            "criminal_decision",
            "criminal_decided_at",
            "criminal_decision_note",
            "handling_result",
            "handled_at",
            "closed_at",
            "close_note",
            "withdraw_reason",
            "matter_key",
            "origin_transfer",
        ]
        read_only_fields = fields


class CaseWriteSerializer(serializers.Serializer):
    title = StrictCharField(max_length=200)
    source = serializers.ChoiceField(choices=CaseSource.choices)  # type: ignore[assignment]
    discovered_at = serializers.DateTimeField(required=False)
    reported_at = serializers.DateTimeField(required=False, allow_null=True)
    owner_unit = VisibleUnitField(required=False, allow_null=True)
    discovered_by_unit = VisibleUnitField(required=False, allow_null=True)
    lon = StrictFloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    lat = StrictFloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    input_crs = serializers.ChoiceField(choices=CoordSystem.choices, default=CoordSystem.WGS84)
    address = StrictCharField(max_length=300, required=False, allow_blank=True, default="")
    description = StrictCharField(
        required=False, allow_blank=True, default="", max_length=limits.LONG
    )
    entity = VisibleEntityField(required=False, allow_null=True)
    entity_name = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    entity_uscc = StrictCharField(max_length=18, required=False, allow_blank=True, default="")
    responsible_person = StrictCharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    facts = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.LONG)
    suspected_crime = StrictBooleanField(default=False)
    detention_needed = StrictBooleanField(default=False)
    discipline_breach = StrictBooleanField(default=False)


class CaseUpdateSerializer(serializers.Serializer):
    title = StrictCharField(max_length=200, required=False)
    address = StrictCharField(max_length=300, required=False, allow_blank=True)
    lon = StrictFloatField(required=False, min_value=-180, max_value=180)
    lat = StrictFloatField(required=False, min_value=-90, max_value=90)
    input_crs = serializers.ChoiceField(choices=CoordSystem.choices, required=False)
    description = StrictCharField(required=False, allow_blank=True, max_length=limits.LONG)
    entity = VisibleEntityField(required=False, allow_null=True)
    entity_name = StrictCharField(max_length=200, required=False, allow_blank=True)
    entity_uscc = StrictCharField(max_length=18, required=False, allow_blank=True)
    responsible_person = StrictCharField(max_length=100, required=False, allow_blank=True)
    facts = StrictCharField(required=False, allow_blank=True, max_length=limits.LONG)
    discovered_at = serializers.DateTimeField(required=False)
    reported_at = serializers.DateTimeField(required=False, allow_null=True)
    handler = OwnPersonField(required=False, allow_null=True)
    suspected_crime = StrictBooleanField(required=False)
    detention_needed = StrictBooleanField(required=False)
    discipline_breach = StrictBooleanField(required=False)
    reason = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.LONG)


class NoteSerializer(serializers.Serializer):
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.LONG)


class ResultSerializer(serializers.Serializer):
    result = StrictCharField(allow_blank=True, max_length=limits.LONG)


class CloseSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=CaseOutcome.choices)
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.LONG)


class ReasonSerializer(serializers.Serializer):
    reason = StrictCharField(allow_blank=True, max_length=limits.LONG)


class CriminalDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[(k, v) for k, v in CriminalDecision.choices if k])
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.LONG)


class CrimeFlagClearanceRequestSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=limits.LONG)


class CrimeFlagClearanceDecideSerializer(serializers.Serializer):
    approve = StrictBooleanField()
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.LONG)


class CrimeFlagClearanceSerializer(serializers.ModelSerializer):
    """A request to clear the "suspected crime" flag and the office's decision (T2)."""

    # The steps the caller may take now: the kernel's table filtered by policy.
    actions = serializers.SerializerMethodField()

    class Meta:
        model = CrimeFlagClearance
        fields = [
            "id",
            "case",
            "status",
            "reason",
            "requested_unit",
            "requested_at",
            "decided_at",
            "decision_note",
            "actions",
        ]
        read_only_fields = fields

    def get_actions(self, obj: CrimeFlagClearance) -> list[str]:
        from .workflow import clearance_actions_available

        request = self.context.get("request")
        if request is None:
            return []
        return sorted(clearance_actions_available(obj, request.user))


class LinkSerializer(serializers.Serializer):
    other = StrictIntegerField(help_text=_("同一事项的另一案件编号（id）"))


class EvidenceSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "id",
            "original_name",
            "ext",
            "mime",
            "size",
            "sha256",
            "description",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, obj: Evidence) -> str:
        from django.urls import reverse

        return reverse("cases-api-evidence-download", args=[obj.pk])


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    description = StrictCharField(max_length=300, required=False, allow_blank=True, default="")


class TransferEvidenceSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = TransferEvidence
        fields = [
            "id",
            "original_name",
            "ext",
            "mime",
            "size",
            "sha256",
            "description",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, obj: TransferEvidence) -> str:
        from django.urls import reverse

        return reverse("cases-api-transfer-evidence-download", args=[obj.pk])


class TransferSerializer(serializers.ModelSerializer):
    transfer_type_display = serializers.CharField(
        source="get_transfer_type_display", read_only=True
    )
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    sender_unit_name = serializers.CharField(source="sender_unit.name", read_only=True)
    receiver_unit_name = serializers.CharField(source="receiver_unit.name", read_only=True)
    copy_to_unit_name = serializers.CharField(
        source="copy_to_unit.name", read_only=True, default=None
    )
    sender_handler_name = serializers.CharField(
        source="sender_handler.name", read_only=True, default=None
    )
    receiver_handler_name = serializers.CharField(
        source="receiver_handler.name", read_only=True, default=None
    )
    case_number = serializers.CharField(source="case.number", read_only=True)

    class Meta:
        model = Transfer
        fields = [
            "id",
            "number",
            "year",
            "transfer_type",
            "transfer_type_display",
            "status",
            "status_display",
            "case",
            "case_number",
            "sender_unit",
            "sender_unit_name",
            "sender_handler",
            "sender_handler_name",
            "receiver_unit",
            "receiver_unit_name",
            "copy_to_unit",
            "copy_to_unit_name",
            "receiver_handler",
            "receiver_handler_name",
            "sent_at",
            "accepted_at",
            "returned_at",
            "handled_at",
            "fed_back_at",
            "feedback_required",
            "overdue",
        ]
        read_only_fields = fields


class TransferDetailSerializer(TransferSerializer):
    evidence = TransferEvidenceSerializer(many=True, read_only=True)

    class Meta(TransferSerializer.Meta):
        fields = [
            *TransferSerializer.Meta.fields,
            "reason",
            "proposal",
            "facts",
            "responsible_person",
            "entity_name",
            "case_snapshot",
            "return_explanation",
            "withdrawn_at",
            "withdraw_reason",
            "handling_result",
            "feedback_text",
            "evidence",
        ]
        read_only_fields = fields


class TransferWriteSerializer(serializers.Serializer):
    case = StrictIntegerField()
    transfer_type = serializers.ChoiceField(choices=TransferType.choices)
    receiver_unit = VisibleUnitField()
    copy_to_unit = VisibleUnitField(required=False, allow_null=True)
    reason = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.LONG)
    proposal = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.LONG)
    feedback_required = StrictBooleanField(default=True)


class ExplanationSerializer(serializers.Serializer):
    explanation = StrictCharField(allow_blank=True, max_length=limits.LONG)


class FeedbackSerializer(serializers.Serializer):
    text = StrictCharField(allow_blank=True, max_length=limits.LONG)


class DisputeSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    designating_unit_name = serializers.CharField(source="designating_unit.name", read_only=True)
    designated_unit_name = serializers.CharField(
        source="designated_unit.name", read_only=True, default=None
    )
    raised_by_unit_name = serializers.CharField(source="raised_by_unit.name", read_only=True)
    common_grid_name = serializers.CharField(
        source="common_grid.name", read_only=True, default=None
    )
    suggested_unit_name = serializers.CharField(
        source="suggested_unit.name", read_only=True, default=None
    )
    cases = serializers.PrimaryKeyRelatedField(many=True, read_only=True)  # type: ignore[var-annotated]
    parties = serializers.PrimaryKeyRelatedField(many=True, read_only=True)  # type: ignore[var-annotated]

    class Meta:
        model = JurisdictionDispute
        fields = [
            "id",
            "status",
            "status_display",
            "cases",
            "parties",
            "transfer",
            "raised_by_unit",
            "raised_by_unit_name",
            "raised_at",
            "reason",
            "common_grid",
            "common_grid_name",
            "designating_unit",
            "designating_unit_name",
            "suggested_unit",
            "suggested_unit_name",
            "evidence",
            "designated_unit",
            "designated_unit_name",
            "designated_at",
            "designation_reason",
        ]
        read_only_fields = fields


class DisputeRaiseSerializer(serializers.Serializer):
    parties = VisibleUnitField(many=True)
    reason = StrictCharField(allow_blank=True, max_length=limits.LONG)
    transfer = StrictIntegerField(required=False, allow_null=True)


class DesignateSerializer(serializers.Serializer):
    unit = VisibleUnitField()
    reason = StrictCharField(allow_blank=True, max_length=limits.LONG)


class TransferRuleSerializer(serializers.ModelSerializer):
    description = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = TransferRule
        fields = [
            "id",
            "transfer_type",
            "step",
            "rule_kind",
            "amount",
            "start_event",
            "legal_basis",
            "is_active",
            "description",
        ]
        read_only_fields = fields


class TimelineItemSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = StrictCharField(max_length=limits.SHORT)
    text = StrictCharField(max_length=limits.LONG)
    detail = StrictCharField(max_length=limits.SHORT)
    link = StrictCharField(max_length=limits.SHORT)
    late = StrictBooleanField()


class DiscoveryRowSerializer(serializers.Serializer):
    case = StrictCharField(max_length=limits.SHORT)
    case_id = StrictIntegerField()
    unit = StrictCharField(max_length=limits.SHORT)
    unit_id = StrictIntegerField()
    discovered_by = StrictCharField(max_length=limits.SHORT)
    discovered_at = StrictCharField(max_length=limits.SHORT)
    reported_at = StrictCharField(allow_null=True, max_length=limits.LONG)
    first_known_at = StrictCharField(max_length=limits.LONG)
    registered_at = StrictCharField(max_length=limits.LONG)


class JurisdictionSerializer(serializers.Serializer):
    occurrence_grid = StrictCharField(allow_null=True, max_length=limits.LONG)
    chain = serializers.ListField(child=StrictCharField(max_length=limits.LONG))
    proposed_unit = StrictIntegerField(allow_null=True)
    proposed_unit_name = StrictCharField(allow_null=True, max_length=limits.SHORT)
    owner_is_proposed = StrictBooleanField()
    note = StrictCharField(max_length=limits.LONG)
    first_unit = StrictIntegerField(allow_null=True)
    tie = StrictBooleanField()
    discovery = DiscoveryRowSerializer(many=True)


class OverdueRowSerializer(serializers.Serializer):
    obligation = StrictIntegerField(source="obligation.pk")
    title = StrictCharField(source="obligation.title", max_length=limits.SHORT)
    kind = StrictCharField(source="obligation.kind", max_length=limits.SHORT)
    category = StrictCharField(max_length=limits.LONG)
    category_label = StrictCharField(max_length=limits.LONG)
    unit = StrictIntegerField(source="unit.pk")
    unit_name = StrictCharField(source="unit.name", max_length=limits.SHORT)
    person = StrictIntegerField(source="person.pk", allow_null=True, default=None)
    person_name = StrictCharField(
        source="person.name", allow_null=True, default=None, max_length=limits.SHORT
    )
    due_at = serializers.DateTimeField()
    provisional = StrictBooleanField(source="obligation.provisional")
    provisional_years = serializers.ListField(
        child=StrictIntegerField(), source="obligation.provisional_years"
    )
    completed_at = serializers.DateTimeField(allow_null=True)
    still_open = StrictBooleanField()
    days_late = StrictFloatField()
    link = StrictCharField(max_length=limits.SHORT)
