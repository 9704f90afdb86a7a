"""API shapes for reports, schedules and due reports: output serializers render; input
serializers check shape only (types, choices, ids the caller may see) and hand a dict to
one service, which applies the rules (e.g. a thematic report's three parts, I3)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from envgrid.core import limits
from envgrid.core.serializer_fields import StrictBooleanField, StrictCharField, StrictIntegerField
from envgrid.grids.models import Grid
from envgrid.org.models import LeadingGroup, Unit

from .models import Frequency, Report, ReportDue, ReportEvent, ReportSchedule, ReportType
from .policies import due_policy, report_policy
from .workflow import BY_ACTION, available_actions


def _user(serializer: Any) -> Any:
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class ReportEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReportEvent
        fields = ["id", "at", "action", "from_status", "to_status", "actor", "actor_name", "note"]


class ReportSerializer(serializers.ModelSerializer):
    report_type_display = serializers.CharField(source="get_report_type_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    officer_name = serializers.CharField(source="officer.name", read_only=True, default=None)
    actions = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "number",
            "report_type",
            "report_type_display",
            "title",
            "unit",
            "unit_name",
            "author",
            "officer",
            "officer_name",
            "leading_group",
            "recipient_unit",
            "grid",
            "content",
            "situation",
            "analysis",
            "recommendations",
            "occurred_at",
            "place",
            "due",
            "status",
            "status_display",
            "created_at",
            "submitted_at",
            "feedback",
            "fed_back_at",
            "published_at",
            "disclosure_ref",
            "archived_at",
            "withdrawn_at",
            "withdraw_reason",
            "actions",
        ]
        read_only_fields = fields

    def get_actions(self, obj: Report) -> list[str]:
        """The steps the caller may take now."""
        from .workflow import AUTHOR

        user = _user(self)
        out = []
        for t in available_actions(obj):
            ok = (
                report_policy.is_author(user, obj)
                if t.by == AUTHOR
                else report_policy.is_receiver(user, obj)
            )
            if ok:
                out.append(t.action)
        return out


@extend_schema_field(OpenApiTypes.INT)
class _VisibleDueField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> Any:
        return due_policy.scope(_user(self.parent)).select_related("schedule")


class ReportWriteSerializer(serializers.Serializer):
    report_type = serializers.ChoiceField(choices=ReportType.choices)
    title = StrictCharField(max_length=300)
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), required=False)
    leading_group = serializers.PrimaryKeyRelatedField(
        queryset=LeadingGroup.objects.all(), required=False
    )
    content = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.HUGE)
    situation = StrictCharField(
        required=False, allow_blank=True, default="", max_length=limits.HUGE
    )
    analysis = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.HUGE)
    recommendations = StrictCharField(
        required=False, allow_blank=True, default="", max_length=limits.HUGE
    )
    grid = serializers.PrimaryKeyRelatedField(
        queryset=Grid.objects.all(), required=False, allow_null=True
    )
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)
    place = StrictCharField(required=False, allow_blank=True, default="", max_length=300)
    due = _VisibleDueField(required=False, allow_null=True)


class ReportUpdateSerializer(serializers.Serializer):
    title = StrictCharField(max_length=300, required=False)
    content = StrictCharField(required=False, allow_blank=True, max_length=limits.HUGE)
    situation = StrictCharField(required=False, allow_blank=True, max_length=limits.HUGE)
    analysis = StrictCharField(required=False, allow_blank=True, max_length=limits.HUGE)
    recommendations = StrictCharField(required=False, allow_blank=True, max_length=limits.HUGE)
    grid = serializers.PrimaryKeyRelatedField(
        queryset=Grid.objects.all(), required=False, allow_null=True
    )
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)
    place = StrictCharField(required=False, allow_blank=True, max_length=300)
    due = _VisibleDueField(required=False, allow_null=True)


class TransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[(k, v.label) for k, v in BY_ACTION.items()])
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.LONG)


class ScheduleSerializer(serializers.ModelSerializer):
    report_type_display = serializers.CharField(source="get_report_type_display", read_only=True)
    frequency_display = serializers.CharField(source="get_frequency_display", read_only=True)

    class Meta:
        model = ReportSchedule
        fields = [
            "id",
            "leading_group",
            "name",
            "report_type",
            "report_type_display",
            "frequency",
            "frequency_display",
            "due_workdays",
            "due_month",
            "due_day",
            "due_year_offset",
            "valid_from",
            "valid_to",
            "units",
            "is_active",
            "note",
        ]
        read_only_fields = fields


class ScheduleWriteSerializer(serializers.Serializer):
    leading_group = serializers.PrimaryKeyRelatedField(queryset=LeadingGroup.objects.all())
    name = StrictCharField(max_length=200)
    report_type = serializers.ChoiceField(choices=ReportType.choices)
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    due_workdays = StrictIntegerField(required=False, allow_null=True, min_value=1)
    due_month = StrictIntegerField(required=False, allow_null=True, min_value=1, max_value=12)
    due_day = StrictIntegerField(required=False, allow_null=True, min_value=1, max_value=31)
    due_year_offset = StrictIntegerField(required=False, min_value=0, max_value=1)
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(required=False, allow_null=True)
    units = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(), many=True, required=False
    )
    is_active = StrictBooleanField(required=False)
    note = StrictCharField(required=False, allow_blank=True, max_length=limits.LONG)


class DueSerializer(serializers.ModelSerializer):
    schedule_name = serializers.CharField(source="schedule.name", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    obligation_due_at = serializers.DateTimeField(source="obligation.due_at", read_only=True)
    obligation_status = serializers.CharField(source="obligation.status", read_only=True)
    # Computed across a placeholder calendar year: provisional (暂定) until the official one.
    provisional = StrictBooleanField(source="obligation.provisional", read_only=True)
    provisional_years = serializers.ListField(
        child=StrictIntegerField(),
        source="obligation.provisional_years",
        read_only=True,
        default=list,
    )
    outcome = serializers.CharField(read_only=True)

    class Meta:
        model = ReportDue
        fields = [
            "id",
            "schedule",
            "schedule_name",
            "unit",
            "unit_name",
            "period_key",
            "period_start",
            "period_end",
            "due_at",
            "obligation",
            "obligation_due_at",
            "obligation_status",
            "provisional",
            "provisional_years",
            "report",
            "submitted_at",
            "outcome",
        ]
        read_only_fields = fields


class WaiveSerializer(serializers.Serializer):
    reason = StrictCharField(help_text=_("免报原因"), max_length=limits.LONG)


class ComplianceRowSerializer(serializers.Serializer):
    unit_id = StrictIntegerField()
    unit__name = StrictCharField(max_length=limits.SHORT)
    unit__code = StrictCharField(max_length=limits.SHORT)
    due = StrictIntegerField()
    on_time = StrictIntegerField()
    late = StrictIntegerField()
    missing = StrictIntegerField()
    pending = StrictIntegerField()
    waived = StrictIntegerField()


class OfficerRowSerializer(serializers.ModelSerializer):
    information_officer_name = serializers.CharField(
        source="information_officer.name", read_only=True, default=None
    )
    officer_gap = StrictBooleanField(read_only=True)

    class Meta:
        model = Unit
        fields = [
            "id",
            "code",
            "name",
            "information_officer",
            "information_officer_name",
            "officer_gap",
        ]
        read_only_fields = fields


class GenerateResultSerializer(serializers.Serializer):
    created = StrictIntegerField()
    existing = StrictIntegerField()
    errors = serializers.ListField(child=StrictCharField(max_length=limits.LONG))  # type: ignore[assignment]
