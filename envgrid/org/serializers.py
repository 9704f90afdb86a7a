"""API shapes for units, persons, leading groups and delegations.

Output serializers render; input serializers check shape only (types, choices, ids
the caller may see) and hand a dict to one service, which applies the rules.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from envgrid.core import limits
from envgrid.core.serializer_fields import StrictBooleanField, StrictCharField, StrictIntegerField

from .models import (
    Delegation,
    DelegationScope,
    LeadingGroup,
    Person,
    PersonRole,
    TrainingKind,
    TrainingRecord,
    TrainingResult,
    Unit,
    UnitKind,
)
from .policies import leading_group_policy, person_policy, unit_policy
from .selectors import actor_for, person_cert_status
from .services import PERSON_EDITABLE_FIELDS, UNIT_EDITABLE_FIELDS


def _user(serializer: serializers.Serializer) -> Any:
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class UnitRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "code", "name", "short_name"]


class PersonRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Person
        fields = ["id", "name", "title"]


class UnitSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    parent_name = serializers.CharField(source="parent.name", read_only=True, default=None)
    information_officer_name = serializers.CharField(
        source="information_officer.name", read_only=True, default=None
    )

    class Meta:
        model = Unit
        fields = [
            "id",
            "code",
            "name",
            "short_name",
            "kind",
            "kind_display",
            "parent",
            "parent_name",
            "information_officer",
            "information_officer_name",
            "doc_prefix",
            "is_active",
        ]


class UnitWriteSerializer(serializers.ModelSerializer):
    """Input for unit_create / unit_update. Ids outside the caller's scope are unknown ids."""

    kind = serializers.ChoiceField(choices=UnitKind.choices)

    class Meta:
        model = Unit
        fields = list(UNIT_EDITABLE_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = _user(self)
        self.fields["parent"].queryset = unit_policy.scope(user)  # type: ignore[attr-defined]
        self.fields["information_officer"].queryset = person_policy.scope(user)  # type: ignore[attr-defined]


class PersonSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    username = serializers.SerializerMethodField()
    cert_status = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = [
            "id",
            "name",
            "unit",
            "unit_name",
            "title",
            "phone",
            "public_phone",
            "role",
            "role_display",
            "username",
            "cert_number",
            "cert_valid_from",
            "cert_valid_to",
            "cert_status",
            "is_active",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_username(self, obj: Person) -> str | None:
        return obj.user.get_username() if obj.user_id and obj.user else None

    @extend_schema_field(
        serializers.ChoiceField(choices=["valid", "expiring", "expired", "not_yet", "none"])
    )
    def get_cert_status(self, obj: Person) -> str:
        return person_cert_status(obj, timezone.localdate())


class PersonWriteSerializer(serializers.ModelSerializer):
    """Input for person_create / person_update. Linking a login is done by an administrator
    (Django admin, user page), never through this API."""

    role = serializers.ChoiceField(choices=PersonRole.choices, required=False)

    class Meta:
        model = Person
        fields = list(PERSON_EDITABLE_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = unit_policy.scope(_user(self))  # type: ignore[attr-defined]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Shape of a certificate: a number goes with both dates, dates go with a number.
        merged = {
            k: attrs.get(k, getattr(self.instance, k, None))
            for k in ("cert_number", "cert_valid_from", "cert_valid_to")
        }
        number, start, end = (
            merged["cert_number"],
            merged["cert_valid_from"],
            merged["cert_valid_to"],
        )
        if number and not (start and end):
            raise serializers.ValidationError(
                {"cert_valid_to": [_("填写执法证号时须同时填写有效期起止日期。")]}
            )
        if (start or end) and not number:
            raise serializers.ValidationError({"cert_number": [_("填写有效期时须填写执法证号。")]})
        if start and end and end < start:
            raise serializers.ValidationError({"cert_valid_to": [_("有效期止不能早于有效期起。")]})
        return attrs


class LeadingGroupSerializer(serializers.ModelSerializer):
    leader = PersonRefSerializer(read_only=True)
    deputies = PersonRefSerializer(many=True, read_only=True)
    office_unit = UnitRefSerializer(read_only=True)
    office_director = PersonRefSerializer(read_only=True)
    member_units = UnitRefSerializer(many=True, read_only=True)

    class Meta:
        model = LeadingGroup
        fields = [
            "id",
            "name",
            "parent",
            "leader",
            "deputies",
            "office_unit",
            "office_director",
            "member_units",
            "doc_prefix",
        ]


class DelegationSerializer(serializers.ModelSerializer):
    grantor = PersonRefSerializer(read_only=True)
    grantee = PersonRefSerializer(read_only=True)
    is_live = serializers.SerializerMethodField()

    class Meta:
        model = Delegation
        fields = [
            "id",
            "leading_group",
            "grantor",
            "grantee",
            "purpose",
            "scope",
            "valid_from",
            "valid_to",
            "document_ref",
            "revoked_at",
            "revoke_reason",
            "is_live",
        ]

    @extend_schema_field(StrictBooleanField())
    def get_is_live(self, obj: Delegation) -> bool:
        return obj.covers(day=timezone.localdate(), scope=obj.scope)


class DelegationWriteSerializer(serializers.Serializer):
    leading_group = serializers.PrimaryKeyRelatedField(queryset=LeadingGroup.objects.none())
    grantor = serializers.PrimaryKeyRelatedField(queryset=Person.objects.none())
    grantee = serializers.PrimaryKeyRelatedField(queryset=Person.objects.none())
    purpose = StrictCharField(max_length=300)
    valid_from = serializers.DateField()
    valid_to = serializers.DateField()
    scope = serializers.ChoiceField(
        choices=DelegationScope.choices, default=DelegationScope.MEETING_CONVENE
    )
    document_ref = StrictCharField(max_length=200, required=False, default="")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = _user(self)
        self.fields["leading_group"].queryset = leading_group_policy.scope(user)  # type: ignore[attr-defined]
        # Leader, deputies and the director may sit outside the caller's own unit: any
        # person of the groups the caller belongs to may be named; the service checks roles.
        groups = leading_group_policy.scope(user)
        people = Person.objects.filter(
            Q(unit__leading_groups__in=groups) | Q(pk__in=groups.values("leader"))
        ).distinct()
        if actor_for(user).is_admin:
            people = Person.objects.all()
        self.fields["grantor"].queryset = people  # type: ignore[attr-defined]
        self.fields["grantee"].queryset = people  # type: ignore[attr-defined]


class DelegationRevokeSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=300)


class TrainingRecordSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    result_display = serializers.CharField(source="get_result_display", read_only=True)
    hours = serializers.DecimalField(max_digits=5, decimal_places=1, read_only=True)

    class Meta:
        model = TrainingRecord
        fields = [
            "id",
            "person",
            "person_name",
            "kind",
            "kind_display",
            "course",
            "hours",
            "held_on",
            "result",
            "result_display",
            "note",
            "recorded_at",
            "voided_at",
            "void_reason",
        ]


class TrainingRecordWriteSerializer(serializers.Serializer):
    """Shape only; the service checks who may record and the values (E5)."""

    person = serializers.PrimaryKeyRelatedField(queryset=Person.objects.none())
    kind = serializers.ChoiceField(choices=TrainingKind.choices)
    course = StrictCharField(max_length=200)
    hours = serializers.DecimalField(max_digits=5, decimal_places=1)
    held_on = serializers.DateField()
    result = serializers.ChoiceField(choices=TrainingResult.choices)
    note = StrictCharField(max_length=300, required=False, allow_blank=True, default="")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = person_policy.scope(_user(self))  # type: ignore[attr-defined]


class TrainingVoidSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=300)


class ActorSerializer(serializers.Serializer):
    """Who the caller is to the system: the roles every permission check starts from."""

    username = StrictCharField(max_length=limits.SHORT)
    role = StrictCharField(max_length=limits.LONG)
    is_admin = StrictBooleanField()
    is_office = StrictBooleanField()
    is_leader = StrictBooleanField()
    person = PersonRefSerializer(allow_null=True)
    unit = UnitRefSerializer(allow_null=True)
    overseen_group_ids = serializers.ListField(child=StrictIntegerField())
