"""API shapes for the assessment. Shape only (400 on malformed input); every rule lives in
services.py."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from envgrid.core import limits
from envgrid.core.serializer_fields import StrictBooleanField, StrictCharField, StrictIntegerField
from envgrid.org.models import LeadingGroup

from .models import (
    Assessment,
    AssessmentPlan,
    EvidenceFile,
    IndicatorCategory,
    IndicatorSource,
    Objection,
    PlanIndicator,
    UnitEvaluation,
    WhenEmpty,
)
from .services import INDICATOR_FIELDS


class MetricSerializer(serializers.Serializer):
    code = StrictCharField(max_length=limits.SHORT)
    label = StrictCharField(max_length=limits.SHORT)  # type: ignore[assignment]
    description = StrictCharField(max_length=limits.LONG)
    kinds = serializers.ListField(child=StrictCharField(max_length=limits.LONG))
    has_drilldown = StrictBooleanField()


class IndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanIndicator
        fields = ["id", "plan", *INDICATOR_FIELDS]
        read_only_fields = fields


class IndicatorWriteSerializer(serializers.Serializer):
    code = StrictCharField(max_length=20)
    category = serializers.ChoiceField(choices=IndicatorCategory.choices)
    name = StrictCharField(max_length=200)
    scoring_rule = StrictCharField(required=False, allow_blank=True, max_length=limits.LONG)
    weight = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=0)
    source = serializers.ChoiceField(choices=IndicatorSource.choices)  # type: ignore[assignment]
    metric = StrictCharField(max_length=60, required=False, allow_blank=True)
    full_at = serializers.DecimalField(max_digits=5, decimal_places=4, required=False)
    zero_at = serializers.DecimalField(max_digits=5, decimal_places=4, required=False)
    when_empty = serializers.ChoiceField(choices=WhenEmpty.choices, required=False)
    requires_evidence = StrictBooleanField(required=False)
    order = StrictIntegerField(min_value=0, max_value=32767, required=False)


class PlanSerializer(serializers.ModelSerializer):
    indicators = IndicatorSerializer(many=True, read_only=True)
    leading_group_name = serializers.CharField(source="leading_group.name", read_only=True)
    total_weight = serializers.SerializerMethodField()

    class Meta:
        model = AssessmentPlan
        fields = [
            "id",
            "leading_group",
            "leading_group_name",
            "year",
            "version",
            "name",
            "status",
            "based_on",
            "self_eval_workdays",
            "objection_workdays",
            "objection_decision_workdays",
            "grade_excellent",
            "grade_good",
            "grade_pass",
            "note",
            "total_weight",
            "indicators",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_total_weight(self, obj: AssessmentPlan) -> str:
        return str(sum(i.weight for i in obj.indicators.all()))


class PlanRulesSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200, required=False, allow_blank=True)
    note = StrictCharField(required=False, allow_blank=True, max_length=limits.LONG)
    self_eval_workdays = StrictIntegerField(min_value=1, max_value=365, required=False)
    objection_workdays = StrictIntegerField(min_value=1, max_value=365, required=False)
    objection_decision_workdays = StrictIntegerField(min_value=1, max_value=365, required=False)
    grade_excellent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )
    grade_good = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )
    grade_pass = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )


class PlanCreateSerializer(PlanRulesSerializer):
    leading_group = serializers.PrimaryKeyRelatedField(queryset=LeadingGroup.objects.all())
    year = StrictIntegerField(min_value=2000, max_value=2100)
    copy_from = serializers.PrimaryKeyRelatedField(
        queryset=AssessmentPlan.objects.all(), required=False, allow_null=True
    )
    with_defaults = StrictBooleanField(required=False, default=True)


class AssessmentSerializer(serializers.ModelSerializer):
    leading_group_name = serializers.CharField(source="leading_group.name", read_only=True)
    plan_name = serializers.CharField(source="plan.__str__", read_only=True)
    objection_open = serializers.SerializerMethodField()
    # The objection deadline counted across a placeholder calendar year is provisional (暂定).
    objection_provisional = serializers.SerializerMethodField()
    objection_provisional_years = serializers.ListField(
        child=StrictIntegerField(), source="provisional_years", read_only=True
    )

    class Meta:
        model = Assessment
        fields = [
            "id",
            "leading_group",
            "leading_group_name",
            "year",
            "plan",
            "plan_name",
            "status",
            "opened_at",
            "review_started_at",
            "finalised_at",
            "objection_deadline",
            "objection_provisional",
            "objection_provisional_years",
            "objection_open",
            "document_number",
        ]
        read_only_fields = fields

    def get_objection_open(self, obj: Assessment) -> bool:
        return obj.objection_open()

    def get_objection_provisional(self, obj: Assessment) -> bool:
        return bool(obj.provisional_years)


class AssessmentOpenSerializer(serializers.Serializer):
    plan = serializers.PrimaryKeyRelatedField(queryset=AssessmentPlan.objects.all())
    unit_ids = serializers.ListField(child=StrictIntegerField(), required=False)


class AdoptPlanSerializer(serializers.Serializer):
    plan = serializers.PrimaryKeyRelatedField(queryset=AssessmentPlan.objects.all())


class EvaluationSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    year = StrictIntegerField(source="assessment.year", read_only=True)
    result = serializers.SerializerMethodField()

    class Meta:
        model = UnitEvaluation
        fields = [
            "id",
            "assessment",
            "year",
            "unit",
            "unit_name",
            "status",
            "summary",
            "self_total",
            "submitted_at",
            "result",
        ]
        read_only_fields = fields

    def get_result(self, obj: UnitEvaluation) -> dict[str, Any] | None:
        """Total, rank and grade appear once the result is final."""
        if not obj.assessment.is_finalised:
            return None
        return {
            "total": str(obj.total) if obj.total is not None else None,
            "percent": str(obj.percent) if obj.percent is not None else None,
            "rank": obj.rank,
            "grade": obj.grade,
            "grade_display": obj.get_grade_display(),
        }


class LineSerializer(serializers.Serializer):
    indicator = StrictIntegerField()
    code = StrictCharField(max_length=limits.SHORT)
    name = StrictCharField(max_length=limits.SHORT)
    category = StrictCharField(max_length=limits.LONG)
    weight = serializers.DecimalField(max_digits=6, decimal_places=2)
    source = StrictCharField(max_length=limits.LONG)  # type: ignore[assignment]
    metric = StrictCharField(allow_blank=True, max_length=limits.LONG)
    value = StrictCharField(allow_null=True, max_length=limits.LONG)
    numerator = StrictIntegerField(allow_null=True)
    denominator = StrictIntegerField(allow_null=True)
    metric_note = StrictCharField(allow_blank=True, max_length=limits.LONG)
    computed_score = StrictCharField(allow_null=True, max_length=limits.LONG)
    self_score = StrictCharField(allow_null=True, max_length=limits.LONG)
    self_note = StrictCharField(allow_blank=True, max_length=limits.LONG)
    office_score = StrictCharField(allow_null=True, required=False, max_length=limits.LONG)
    adjust_reason = StrictCharField(allow_blank=True, required=False, max_length=limits.LONG)
    score = StrictCharField(allow_null=True, required=False, max_length=limits.LONG)
    requires_evidence = StrictBooleanField()


class EvaluationDetailSerializer(serializers.Serializer):
    evaluation = EvaluationSerializer()
    lines = LineSerializer(many=True)
    total = StrictCharField(allow_null=True, max_length=limits.LONG)
    max_total = StrictCharField(max_length=limits.LONG)


class ScoreEntrySerializer(serializers.Serializer):
    indicator = StrictIntegerField()
    score = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    note = StrictCharField(required=False, allow_blank=True, max_length=limits.LONG)


class SelfEvaluationSerializer(serializers.Serializer):
    summary = StrictCharField(required=False, allow_blank=True, max_length=limits.LONG)
    scores = ScoreEntrySerializer(many=True, required=False)


class AdjustSerializer(serializers.Serializer):
    indicator = StrictIntegerField()
    score = serializers.DecimalField(max_digits=6, decimal_places=2)
    # Blank is accepted here and refused by the service with code "reason_required", so the
    # API and the staff page give the same answer for the same rule.
    reason = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.LONG)


class AdjustmentResultSerializer(serializers.Serializer):
    id = StrictIntegerField()
    indicator = StrictIntegerField()
    before = StrictCharField(allow_null=True, max_length=limits.LONG)
    after = StrictCharField(max_length=limits.LONG)
    reason = StrictCharField(max_length=limits.LONG)


class DrilldownSerializer(serializers.Serializer):
    indicator = StrictIntegerField()
    metric = StrictCharField(allow_blank=True, max_length=limits.LONG)
    description = StrictCharField(allow_blank=True, max_length=limits.LONG)
    headers = serializers.ListField(child=StrictCharField(max_length=limits.LONG))
    rows = serializers.ListField(child=serializers.ListField())
    total = StrictIntegerField()


class EvidenceSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = EvidenceFile
        ref_name = "AssessmentEvidence"  # cases has an EvidenceSerializer too (schema names)
        fields = [
            "id",
            "evaluation",
            "indicator",
            "original_name",
            "mime",
            "size",
            "sha256",
            "description",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, obj: EvidenceFile) -> str:
        from django.urls import reverse

        return reverse("assessment:evidence", args=[obj.pk])


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    indicator = StrictIntegerField(required=False, allow_null=True)
    description = StrictCharField(required=False, allow_blank=True, max_length=300)

    class Meta:
        ref_name = "AssessmentEvidenceUpload"  # distinct from the cases upload in the schema


class ObjectionSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="evaluation.unit.name", read_only=True)

    class Meta:
        model = Objection
        fields = [
            "id",
            "evaluation",
            "unit_name",
            "reason",
            "filed_at",
            "status",
            "decision",
            "decided_at",
            "total_before",
            "total_after",
        ]
        read_only_fields = fields


class ObjectionFileSerializer(serializers.Serializer):
    reason = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.LONG)


class ObjectionAdjustmentSerializer(serializers.Serializer):
    indicator = StrictIntegerField()
    score = serializers.DecimalField(max_digits=6, decimal_places=2)


class ObjectionDecideSerializer(serializers.Serializer):
    upheld = StrictBooleanField()
    decision = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.LONG)
    adjustments = ObjectionAdjustmentSerializer(many=True, required=False)


class RankingRowSerializer(serializers.Serializer):
    rank = StrictIntegerField(allow_null=True)
    evaluation = StrictIntegerField()
    unit = StrictIntegerField()
    unit_name = StrictCharField(max_length=limits.SHORT)
    total = StrictCharField(max_length=limits.LONG)
    percent = StrictCharField(max_length=limits.LONG)
    grade = StrictCharField(max_length=limits.LONG)
    grade_display = StrictCharField(max_length=limits.LONG)
    establishment = StrictCharField(max_length=limits.LONG)
    operation = StrictCharField(max_length=limits.LONG)
    final = StrictBooleanField()
