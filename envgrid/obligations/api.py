"""REST API for obligations: scoped lists, "my obligations", the overdue register (T6),
detail with history, and the hand actions pause / resume / extend / complete."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from envgrid.core.api import ScopedQuerysetMixin

from . import actions
from .filters import ObligationFilter, RegisterFilter
from .models import Obligation
from .policies import obligation_policy
from .selectors import my_obligations, overdue_register
from .serializers import (
    CompleteSerializer,
    EmptySerializer,
    ExtendSerializer,
    ObligationDetailSerializer,
    ObligationSerializer,
    ReasonSerializer,
)


class ObligationViewSet(
    ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Obligations (待办与时限) the caller may see: its unit's, those escalated to it, and
    — for the office and leaders — those of the units they oversee."""

    policy = obligation_policy
    queryset = Obligation.objects.select_related("unit", "person", "escalated_to")
    serializer_class = ObligationSerializer
    filterset_class = ObligationFilter
    ordering_fields = ["due_at", "started_at", "status"]
    ordering = ["due_at"]

    def get_serializer_class(self) -> Any:
        if self.action == "retrieve":
            return ObligationDetailSerializer
        return ObligationSerializer

    def get_queryset(self) -> QuerySet:
        qs = super().get_queryset()
        if self.action == "retrieve":
            qs = qs.prefetch_related("events__actor", "pauses__approver", "extensions__approver")
        return qs

    def _list_of(self, qs: QuerySet) -> Response:
        qs = self.filter_queryset(qs)
        page = self.paginate_queryset(qs)
        data = ObligationSerializer(page if page is not None else qs, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(responses=ObligationSerializer(many=True))
    @action(detail=False, methods=["get"])
    def mine(self, request: Request) -> Response:
        """What I or my unit owes, open or overdue, soonest due first (the home page list)."""
        return self._list_of(my_obligations(user=request.user))

    @extend_schema(responses=ObligationSerializer(many=True))
    @action(detail=False, methods=["get"], filterset_class=RegisterFilter)
    def overdue(self, request: Request) -> Response:
        """The overdue register (T6): items that went overdue, open or completed late."""
        return self._list_of(overdue_register(user=request.user))

    def _done(self, ob: Obligation) -> Response:
        ob = (
            self.get_queryset()
            .prefetch_related("events__actor", "pauses__approver", "extensions__approver")
            .get(pk=ob.pk)
        )
        return Response(ObligationDetailSerializer(ob).data)

    @extend_schema(request=ReasonSerializer, responses=ObligationDetailSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: Any = None) -> Response:
        """Stop the clock (approved by the office or a leader overseeing the unit)."""
        ob = self._pk(pk)
        s = ReasonSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return self._done(
            actions.obligation_pause_approve(
                user=request.user, obligation=ob, reason=s.validated_data["reason"]
            )
        )

    @extend_schema(request=EmptySerializer, responses=ObligationDetailSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: Any = None) -> Response:
        """Restart the clock; the due time moves by the pause, in the rule's own unit."""
        return self._done(actions.obligation_resume_by(user=request.user, obligation=self._pk(pk)))

    @extend_schema(request=ExtendSerializer, responses=ObligationDetailSerializer)
    @action(detail=True, methods=["post"])
    def extend(self, request: Request, pk: Any = None) -> Response:
        """Extend by `amount` units of the rule (approved by the office or a leader)."""
        ob = self._pk(pk)
        s = ExtendSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return self._done(
            actions.obligation_extend_approve(user=request.user, obligation=ob, **s.validated_data)
        )

    @extend_schema(request=CompleteSerializer, responses=ObligationDetailSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: Any = None) -> Response:
        """Record that the unit has done what it owed, with a note of what was done."""
        ob = self._pk(pk)
        s = CompleteSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return self._done(
            actions.obligation_complete_by(
                user=request.user, obligation=ob, note=s.validated_data["note"]
            )
        )

    def _pk(self, pk: Any) -> int:
        # Resolve through the scope first: an unseen id is 404 before its input is judged.
        return int(self.get_object().pk)
