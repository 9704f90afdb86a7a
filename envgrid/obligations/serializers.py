"""API shapes for obligations, their history, and the hand actions on them."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from envgrid.core.serializer_fields import StrictBooleanField, StrictCharField, StrictIntegerField

from .models import Obligation, ObligationEvent, ObligationExtension, ObligationPause


class ObligationSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    person_name = serializers.CharField(source="person.name", read_only=True, default=None)
    escalated_to_name = serializers.CharField(
        source="escalated_to.name", read_only=True, default=None
    )
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    rule = serializers.SerializerMethodField()
    # Issue 20: the kind and the deadline as a person reads them.
    kind_label = StrictCharField(read_only=True)
    rule_text = StrictCharField(read_only=True)
    is_late = StrictBooleanField(read_only=True)
    is_paused = serializers.SerializerMethodField()

    class Meta:
        model = Obligation
        fields = [
            "id",
            "kind",
            "kind_label",
            "title",
            "unit",
            "unit_name",
            "person",
            "person_name",
            "link",
            "rule_kind",
            "rule_amount",
            "rule",
            "rule_text",
            "start_event",
            "started_at",
            "due_at",
            "provisional",
            "provisional_years",
            "paused_since",
            "is_paused",
            "status",
            "status_display",
            "is_late",
            "completed_at",
            "completed_late",
            "overdue_at",
            "escalated_at",
            "escalated_to",
            "escalated_to_name",
        ]

    @extend_schema_field(serializers.CharField())
    def get_rule(self, obj: Obligation) -> str:
        return obj.rule.describe()

    @extend_schema_field(StrictBooleanField())
    def get_is_paused(self, obj: Obligation) -> bool:
        return obj.paused_since is not None


class ObligationEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.get_username", read_only=True, default=None)

    class Meta:
        model = ObligationEvent
        fields = ["at", "action", "actor", "note", "due_at"]


class ObligationPauseSerializer(serializers.ModelSerializer):
    approver = serializers.CharField(source="approver.name", read_only=True)

    class Meta:
        model = ObligationPause
        fields = ["started_at", "ended_at", "reason", "approver"]


class ObligationExtensionSerializer(serializers.ModelSerializer):
    approver = serializers.CharField(source="approver.name", read_only=True)

    class Meta:
        model = ObligationExtension
        fields = ["created_at", "amount", "reason", "approver"]


class ObligationDetailSerializer(ObligationSerializer):
    events = ObligationEventSerializer(many=True, read_only=True)
    pauses = ObligationPauseSerializer(many=True, read_only=True)
    extensions = ObligationExtensionSerializer(many=True, read_only=True)

    class Meta(ObligationSerializer.Meta):
        fields = [*ObligationSerializer.Meta.fields, "events", "pauses", "extensions"]


class ReasonSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=300)

    class Meta:
        ref_name = "ObligationReason"  # cases has a ReasonSerializer too (schema names)


class ExtendSerializer(serializers.Serializer):
    amount = StrictIntegerField(min_value=1, max_value=365)
    reason = StrictCharField(max_length=300)


class CompleteSerializer(serializers.Serializer):
    note = StrictCharField(max_length=500)


class EmptySerializer(serializers.Serializer):
    pass
