"""API shapes for joint enforcement. Input serializers check shape only (types, and ids
the caller may see); the rules are the services' (STYLE rule 6)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from envgrid.core import limits
from envgrid.core.deadlines import RuleKind
from envgrid.core.serializer_fields import StrictBooleanField, StrictCharField, StrictIntegerField
from envgrid.entities.models import SupervisedEntity
from envgrid.org.models import LeadingGroup, Person
from envgrid.org.policies import leading_group_policy, unit_policy

from .forms import reachable_grids
from .models import (
    ActionCategory,
    ActionMode,
    ActionOfficer,
    ActionParticipant,
    ActionStatusChange,
    ActionTarget,
    Assignment,
    CampaignLevel,
    Consultation,
    ConsultationForm,
    EnforcementAction,
    Finding,
    IncidentLevel,
    IncidentType,
    Inspection,
    InspectionPhoto,
)


def _user(serializer: serializers.Serializer) -> Any:
    request = serializer.context.get("request")
    return getattr(request, "user", None)


# -- output ---------------------------------------------------------------------------


class EnfOfficerSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)
    unit = StrictIntegerField(source="participant.unit_id", read_only=True)

    class Meta:
        model = ActionOfficer
        fields = ["id", "person", "person_name", "unit", "cert_number", "cert_valid_to"]


class EnfConsultationSerializer(serializers.ModelSerializer):
    form_display = serializers.CharField(source="get_form_display", read_only=True)
    unit_names = serializers.SerializerMethodField()
    recorded_by_name = serializers.CharField(
        source="recorded_by.name", read_only=True, default=None
    )

    class Meta:
        model = Consultation
        fields = [
            "id",
            "action",
            "held_on",
            "form",
            "form_display",
            "units",
            "unit_names",
            "conclusions",
            "recorded_by",
            "recorded_by_name",
            "recorded_at",
        ]

    def get_unit_names(self, obj: Consultation) -> list[str]:
        return [u.name for u in obj.units.all()]


class EnfConsultationCreateSerializer(serializers.Serializer):
    """Shape only: which units may attend, and the date rule, are the service's (E5)."""

    action = StrictIntegerField()
    held_on = serializers.DateField()
    form = serializers.ChoiceField(choices=ConsultationForm.choices)
    units = serializers.ListField(child=StrictIntegerField(), allow_empty=False)
    conclusions = StrictCharField(max_length=5000)


class EnfParticipantSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    liaison_name = serializers.CharField(source="liaison.name", read_only=True, default=None)
    officers = EnfOfficerSerializer(many=True, read_only=True)

    class Meta:
        model = ActionParticipant
        fields = [
            "id",
            "action",
            "unit",
            "unit_name",
            "role",
            "role_display",
            "grid",
            "duties",
            "liaison",
            "liaison_name",
            "officers",
        ]


class EnfTargetSerializer(serializers.ModelSerializer):
    entity_name = serializers.CharField(source="entity.name", read_only=True, default=None)
    grid_name = serializers.CharField(source="grid.name", read_only=True)
    supervision_number = serializers.CharField(
        source="supervision.number", read_only=True, default=None
    )

    class Meta:
        model = ActionTarget
        fields = [
            "id",
            "action",
            "entity",
            "entity_name",
            "grid",
            "grid_name",
            "is_key",
            "note",
            "supervision",
            "supervision_number",
        ]


class EnfStatusChangeSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, default=None)

    class Meta:
        model = ActionStatusChange
        fields = ["from_status", "to_status", "at", "actor", "note"]


class EnfActionListSerializer(serializers.ModelSerializer):
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    organiser_unit_name = serializers.CharField(source="organiser_unit.name", read_only=True)

    class Meta:
        model = EnforcementAction
        fields = [
            "id",
            "number",
            "title",
            "category",
            "category_display",
            "mode",
            "status",
            "status_display",
            "organiser_unit",
            "organiser_unit_name",
            "organiser_grid",
            "leading_group",
            "start_date",
            "end_date",
        ]


class EnfActionSerializer(EnfActionListSerializer):
    participants = EnfParticipantSerializer(many=True, read_only=True)
    targets = EnfTargetSerializer(many=True, read_only=True)
    consultations = EnfConsultationSerializer(many=True, read_only=True)
    history = EnfStatusChangeSerializer(source="status_changes", many=True, read_only=True)
    approved_by_name = serializers.CharField(
        source="approved_by.name", read_only=True, default=None
    )

    class Meta(EnfActionListSerializer.Meta):
        fields = [
            *EnfActionListSerializer.Meta.fields,
            "campaign_level",
            "campaign_doc_ref",
            "campaign_doc_title",
            "incident_at",
            "incident_place",
            "incident_type",
            "incident_level",
            "linkage_ref",
            "objectives",
            "schedule",
            "requirements",
            "ack_rule_kind",
            "ack_rule_amount",
            "approved_by",
            "approved_by_name",
            "approved_at",
            "deployed_at",
            "completed_at",
            "cancelled_at",
            "summary",
            "cancel_reason",
            "participants",
            "targets",
            "consultations",
            "history",
        ]


class EnfAssignmentSerializer(serializers.ModelSerializer):
    # Plain text so the schema keeps one "status" enum (the action's); values are
    # pending / acknowledged / completed / cancelled — never "declined" (E4).
    status = serializers.CharField(read_only=True)
    action_title = serializers.CharField(source="action.title", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    ack_late = StrictBooleanField(read_only=True)
    # The acknowledgement deadline computed across a placeholder calendar year (暂定).
    ack_provisional = StrictBooleanField(
        source="ack_obligation.provisional", read_only=True, default=False
    )
    ack_provisional_years = serializers.ListField(
        child=StrictIntegerField(),
        source="ack_obligation.provisional_years",
        read_only=True,
        default=list,
    )

    class Meta:
        model = Assignment
        fields = [
            "id",
            "action",
            "action_title",
            "unit",
            "unit_name",
            "grid",
            "instructions",
            "status",
            "status_display",
            "issued_at",
            "ack_due_at",
            "ack_provisional",
            "ack_provisional_years",
            "acknowledged_at",
            "ack_late",
            "ack_note",
            "completed_at",
            "completion_report",
            "escalated_at",
            "escalated_to",
        ]


class EnfPhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = InspectionPhoto
        fields = ["id", "url", "original_name", "content_type", "size", "sha256", "uploaded_at"]

    @extend_schema_field(serializers.CharField())
    def get_url(self, obj: InspectionPhoto) -> str:
        return reverse("enforcement:photo", args=[obj.pk])


class EnfFindingSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True, help_text="open | case_created")
    entity_name = serializers.CharField(source="entity.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    supervision_number = serializers.CharField(
        source="supervision.number", read_only=True, default=None
    )

    class Meta:
        model = Finding
        fields = [
            "id",
            "action",
            "inspection",
            "entity",
            "entity_name",
            "title",
            "description",
            "responsible_person",
            "suspected_crime",
            "is_key",
            "photos",
            "status",
            "status_display",
            "case",
            "case_number",
            "case_created_at",
            "supervision",
            "supervision_number",
        ]


class EnfInspectionSerializer(serializers.ModelSerializer):
    entity_name = serializers.CharField(source="entity.name", read_only=True)
    photos = EnfPhotoSerializer(many=True, read_only=True)
    findings = EnfFindingSerializer(many=True, read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "action",
            "entity",
            "entity_name",
            "inspected_at",
            "place",
            "officers",
            "summary",
            "photos",
            "findings",
            "created_at",
        ]


class EnfAckStatsSerializer(serializers.Serializer):
    unit = StrictIntegerField()
    unit_name = StrictCharField(max_length=limits.SHORT)
    year = StrictIntegerField()
    received = StrictIntegerField()
    on_time = StrictIntegerField()
    late = StrictIntegerField()
    pending = StrictIntegerField()
    late_assignments = serializers.ListField(child=StrictIntegerField())


# -- input ----------------------------------------------------------------------------


class EnfTargetInSerializer(serializers.Serializer):
    entity = StrictIntegerField(required=False, allow_null=True)
    grid = StrictIntegerField(required=False, allow_null=True)
    is_key = StrictBooleanField(default=False)
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=300)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = _user(self)
        grids = reachable_grids(user)
        entity_id, grid_id = attrs.get("entity"), attrs.get("grid")
        if bool(entity_id) == bool(grid_id):
            raise serializers.ValidationError(_("每个行动对象须且只须指定监管对象或区域之一。"))
        if entity_id:
            entity = SupervisedEntity.objects.filter(pk=entity_id, grid__in=grids).first()
            if entity is None:
                raise serializers.ValidationError({"entity": [_("监管对象不存在或无权选择。")]})
            attrs["entity"], attrs["grid"] = entity, None
        else:
            grid = grids.filter(pk=grid_id).first()
            if grid is None:
                raise serializers.ValidationError({"grid": [_("网格不存在或无权选择。")]})
            attrs["entity"], attrs["grid"] = None, grid
        return attrs


class EnfParticipantInSerializer(serializers.Serializer):
    unit = StrictIntegerField()
    duties = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.LONG)

    def validate_unit(self, value: int) -> Any:
        unit = unit_policy.scope(_user(self)).filter(pk=value).first()
        if unit is None:
            raise serializers.ValidationError(_("单位不存在或无权选择。"))
        return unit


class EnfActionCreateSerializer(serializers.Serializer):
    title = StrictCharField(max_length=200)
    category = serializers.ChoiceField(choices=ActionCategory.choices)
    mode = serializers.ChoiceField(choices=ActionMode.choices, default=ActionMode.GRID)
    organiser_grid = StrictIntegerField(required=False, allow_null=True)
    leading_group = StrictIntegerField(required=False, allow_null=True)
    campaign_level = serializers.ChoiceField(
        choices=CampaignLevel.choices, required=False, allow_blank=True
    )
    campaign_doc_ref = StrictCharField(required=False, allow_blank=True, max_length=100)
    campaign_doc_title = StrictCharField(required=False, allow_blank=True, max_length=200)
    incident_at = serializers.DateTimeField(required=False, allow_null=True)
    incident_place = StrictCharField(required=False, allow_blank=True, max_length=300)
    incident_type = serializers.ChoiceField(
        choices=IncidentType.choices, required=False, allow_blank=True
    )
    incident_level = serializers.ChoiceField(
        choices=IncidentLevel.choices, required=False, allow_blank=True
    )
    linkage_ref = StrictCharField(required=False, allow_blank=True, max_length=100)
    objectives = StrictCharField(max_length=limits.LONG)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    schedule = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.LONG)
    requirements = StrictCharField(
        required=False, allow_blank=True, default="", max_length=limits.LONG
    )
    ack_rule_kind = serializers.ChoiceField(choices=RuleKind.choices, required=False)
    ack_rule_amount = StrictIntegerField(required=False, min_value=0, max_value=365)
    targets = EnfTargetInSerializer(many=True)
    participants = EnfParticipantInSerializer(many=True, required=False, default=list)

    def validate_organiser_grid(self, value: int | None) -> Any:
        if value is None:
            return None
        grid = reachable_grids(_user(self)).filter(pk=value).first()
        if grid is None:
            raise serializers.ValidationError(_("网格不存在或无权选择。"))
        return grid

    def validate_leading_group(self, value: int | None) -> LeadingGroup | None:
        if value is None:
            return None
        group = leading_group_policy.scope(_user(self)).filter(pk=value).first()
        if group is None:
            raise serializers.ValidationError(_("领导小组不存在或无权选择。"))
        return group


class EnfActionUpdateSerializer(serializers.Serializer):
    title = StrictCharField(max_length=200, required=False)
    objectives = StrictCharField(required=False, max_length=limits.LONG)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)
    schedule = StrictCharField(required=False, allow_blank=True, max_length=limits.LONG)
    requirements = StrictCharField(required=False, allow_blank=True, max_length=limits.LONG)
    campaign_level = serializers.ChoiceField(
        choices=CampaignLevel.choices, required=False, allow_blank=True
    )
    campaign_doc_ref = StrictCharField(required=False, allow_blank=True, max_length=100)
    campaign_doc_title = StrictCharField(required=False, allow_blank=True, max_length=200)
    incident_at = serializers.DateTimeField(required=False, allow_null=True)
    incident_place = StrictCharField(required=False, allow_blank=True, max_length=300)
    incident_type = serializers.ChoiceField(
        choices=IncidentType.choices, required=False, allow_blank=True
    )
    incident_level = serializers.ChoiceField(
        choices=IncidentLevel.choices, required=False, allow_blank=True
    )
    linkage_ref = StrictCharField(required=False, allow_blank=True, max_length=100)


class EnfNoteSerializer(serializers.Serializer):
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=500)


class EnfSummarySerializer(serializers.Serializer):
    summary = StrictCharField(max_length=limits.LONG)


class EnfReasonSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=500)


class EnfDutiesSerializer(serializers.Serializer):
    duties = StrictCharField(max_length=limits.LONG)


class EnfReportSerializer(serializers.Serializer):
    report = StrictCharField(max_length=limits.LONG)


class EnfMoveSerializer(serializers.Serializer):
    # Free text on purpose: a move the status table does not list (e.g. "declined") is
    # refused by the table itself with the E4 reason, not by a generic choice error.
    to = StrictCharField(max_length=30)
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=500)


class EnfPersonInSerializer(serializers.Serializer):
    person = StrictIntegerField()

    def validate_person(self, value: int) -> Person:
        # The service checks the person belongs to a participating unit.
        person = Person.objects.select_related("unit").filter(pk=value, is_active=True).first()
        if person is None:
            raise serializers.ValidationError(_("人员不存在。"))
        return person


class EnfLiaisonInSerializer(EnfPersonInSerializer):
    replace = StrictBooleanField(default=False)
    reason = StrictCharField(required=False, allow_blank=True, default="", max_length=300)


class EnfFindingInSerializer(serializers.Serializer):
    title = StrictCharField(max_length=200)
    description = StrictCharField(max_length=limits.LONG)
    responsible_person = StrictCharField(
        required=False, allow_blank=True, default="", max_length=100
    )
    suspected_crime = StrictBooleanField(default=False)
    is_key = StrictBooleanField(default=False)


class EnfFindingCreateSerializer(EnfFindingInSerializer):
    inspection = StrictIntegerField()
    photos = serializers.ListField(child=StrictIntegerField(), required=False)


class EnfInspectionCreateSerializer(serializers.Serializer):
    action = StrictIntegerField()
    entity = StrictIntegerField()
    inspected_at = serializers.DateTimeField()
    place = StrictCharField(required=False, allow_blank=True, default="", max_length=300)
    officers = serializers.ListField(child=StrictIntegerField(), min_length=1)
    summary = StrictCharField(max_length=limits.LONG)
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list)
    findings = EnfFindingInSerializer(many=True, required=False, default=list)


class EnfPhotosInSerializer(serializers.Serializer):
    photos = serializers.ListField(child=serializers.FileField(), min_length=1)


class EnfSuperviseSerializer(serializers.Serializer):
    reason = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.LONG)
    requirement = StrictCharField(
        required=False, allow_blank=True, default="", max_length=limits.LONG
    )
