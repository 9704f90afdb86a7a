"""REST API for units, persons, leading groups and delegations: parse, call one service, render.

Every list and detail starts from the caller's scope (an unseen id answers 404)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from envgrid.core.api import ScopedQuerysetMixin

from .filters import PersonFilter, UnitFilter
from .models import Delegation, LeadingGroup, Person, TrainingRecord, Unit
from .policies import (
    delegation_policy,
    leading_group_policy,
    person_policy,
    training_record_policy,
    unit_policy,
)
from .selectors import actor_for
from .serializers import (
    ActorSerializer,
    DelegationRevokeSerializer,
    DelegationSerializer,
    DelegationWriteSerializer,
    LeadingGroupSerializer,
    PersonSerializer,
    PersonWriteSerializer,
    TrainingRecordSerializer,
    TrainingRecordWriteSerializer,
    TrainingVoidSerializer,
    UnitSerializer,
    UnitWriteSerializer,
)
from .services import (
    delegation_create,
    delegation_revoke,
    person_create,
    person_update,
    training_record_create,
    training_record_void,
    unit_create,
    unit_update,
)


class _ReadViewSet(
    ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    def _write(self, serializer_class: Any, *args: Any, **kwargs: Any) -> Any:
        serializer = serializer_class(*args, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _render(self, obj: Any, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(obj).data, status=code)


class UnitViewSet(_ReadViewSet):
    """Units (单位). Office staff and administrators create and edit them."""

    policy = unit_policy
    queryset = Unit.objects.select_related("parent", "information_officer")
    serializer_class = UnitSerializer
    filterset_class = UnitFilter
    ordering_fields = ["code", "name", "kind"]

    @extend_schema(request=UnitWriteSerializer, responses={201: UnitSerializer})
    def create(self, request: Request) -> Response:
        data = self._write(UnitWriteSerializer, data=request.data)
        return self._render(unit_create(actor=request.user, **data), status.HTTP_201_CREATED)

    @extend_schema(request=UnitWriteSerializer, responses=UnitSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        unit = self.get_object()
        data = self._write(UnitWriteSerializer, unit, data=request.data, partial=True)
        return self._render(unit_update(actor=request.user, unit=unit, **data))


class PersonViewSet(_ReadViewSet):
    """Persons (人员) with their enforcement certificates. A unit sees its own people."""

    policy = person_policy
    queryset = Person.objects.select_related("unit", "user")
    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    ordering_fields = ["name", "unit__code", "cert_valid_to"]

    @extend_schema(request=PersonWriteSerializer, responses={201: PersonSerializer})
    def create(self, request: Request) -> Response:
        data = self._write(PersonWriteSerializer, data=request.data)
        return self._render(person_create(actor=request.user, **data), status.HTTP_201_CREATED)

    @extend_schema(request=PersonWriteSerializer, responses=PersonSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        person = self.get_object()
        data = self._write(PersonWriteSerializer, person, data=request.data, partial=True)
        return self._render(person_update(actor=request.user, person=person, **data))


class LeadingGroupViewSet(_ReadViewSet):
    """Leading groups (领导小组): leader, deputies, office and member units. Read-only here;
    administrators set them up in the admin site."""

    policy = leading_group_policy
    queryset = LeadingGroup.objects.select_related(
        "leader", "office_unit", "office_director"
    ).prefetch_related("deputies", "member_units")
    serializer_class = LeadingGroupSerializer
    ordering_fields = ["name"]


class DelegationViewSet(_ReadViewSet):
    """Recorded delegations (委托授权, M4): registered and revoked by the grantor."""

    policy = delegation_policy
    queryset = Delegation.objects.select_related("grantor", "grantee", "leading_group")
    serializer_class = DelegationSerializer
    filterset_fields = ["leading_group", "scope"]
    ordering_fields = ["valid_from", "valid_to"]

    @extend_schema(request=DelegationWriteSerializer, responses={201: DelegationSerializer})
    def create(self, request: Request) -> Response:
        data = self._write(DelegationWriteSerializer, data=request.data)
        return self._render(delegation_create(actor=request.user, **data), status.HTTP_201_CREATED)

    @extend_schema(request=DelegationRevokeSerializer, responses=DelegationSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: Any = None) -> Response:
        delegation = self.get_object()
        data = self._write(DelegationRevokeSerializer, data=request.data)
        return self._render(
            delegation_revoke(actor=request.user, delegation=delegation, reason=data["reason"])
        )


class TrainingRecordViewSet(_ReadViewSet):
    """Training and assessment records of enforcement officers (业务熟练, E5): recorded
    by the officer's unit or the office; a wrong one is voided with a reason."""

    policy = training_record_policy
    queryset = TrainingRecord.objects.select_related("person")
    serializer_class = TrainingRecordSerializer
    filterset_fields = ["person", "kind", "result"]
    ordering_fields = ["held_on", "id"]

    @extend_schema(request=TrainingRecordWriteSerializer, responses={201: TrainingRecordSerializer})
    def create(self, request: Request) -> Response:
        data = self._write(TrainingRecordWriteSerializer, data=request.data)
        return self._render(
            training_record_create(actor=request.user, **data), status.HTTP_201_CREATED
        )

    @extend_schema(request=TrainingVoidSerializer, responses=TrainingRecordSerializer)
    @action(detail=True, methods=["post"])
    def void(self, request: Request, pk: Any = None) -> Response:
        record = self.get_object()
        data = self._write(TrainingVoidSerializer, data=request.data)
        return self._render(
            training_record_void(actor=request.user, record=record, reason=data["reason"])
        )


class MeView(APIView):
    """The caller's person, unit and roles."""

    @extend_schema(responses=ActorSerializer)
    def get(self, request: Request) -> Response:
        actor = actor_for(request.user)
        data = {
            "username": request.user.get_username(),
            "role": actor.role,
            "is_admin": actor.is_admin,
            "is_office": actor.is_office,
            "is_leader": actor.is_leader,
            "person": actor.person,
            "unit": actor.person.unit if actor.person else None,
            "overseen_group_ids": sorted(actor.overseen_group_ids),
        }
        return Response(ActorSerializer(data).data)
