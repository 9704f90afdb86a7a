"""Admin: read-mostly views of the assessment records (changes go through the services, so
that plans in use stay frozen and every adjustment carries its reason)."""

from django.contrib import admin

from envgrid.core.admin import EnvgridModelAdmin

from .models import (
    Assessment,
    AssessmentEvent,
    AssessmentPlan,
    EvidenceFile,
    IndicatorScore,
    Objection,
    PlanIndicator,
    ScoreAdjustment,
    UnitEvaluation,
)


class ReadOnlyAdmin(EnvgridModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PlanIndicatorInline(admin.TabularInline):
    model = PlanIndicator
    extra = 0
    can_delete = False
    fields = ("code", "category", "name", "weight", "source", "metric", "requires_evidence")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AssessmentPlan)
class AssessmentPlanAdmin(ReadOnlyAdmin):
    list_display = ["name", "leading_group", "year", "version", "status"]
    list_filter = ["status", "year"]
    inlines = [PlanIndicatorInline]


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ["leading_group", "year", "plan", "status", "finalised_at", "document_number"]
    list_filter = ["status", "year"]


@admin.register(UnitEvaluation)
class UnitEvaluationAdmin(ReadOnlyAdmin):
    list_display = ["unit", "assessment", "status", "self_total", "total", "rank", "grade"]
    list_filter = ["status", "grade", "assessment__year"]
    search_fields = ["unit__name"]


@admin.register(IndicatorScore)
class IndicatorScoreAdmin(ReadOnlyAdmin):
    list_display = ["evaluation", "indicator", "self_score", "office_score", "final_score"]


@admin.register(ScoreAdjustment)
class ScoreAdjustmentAdmin(ReadOnlyAdmin):
    list_display = ["score", "before", "after", "reason", "actor", "at"]


@admin.register(EvidenceFile)
class EvidenceFileAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "evaluation", "indicator", "mime", "size", "uploaded_at"]
    exclude = ["file"]


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdmin):
    list_display = ["evaluation", "status", "filed_at", "decided_at"]
    list_filter = ["status"]


@admin.register(AssessmentEvent)
class AssessmentEventAdmin(ReadOnlyAdmin):
    list_display = ["assessment", "evaluation", "action", "from_status", "to_status", "at"]
