"""/api/obligations/supervisions/…: the register of supervision notices (督办, D6), scoped
by SupervisionPolicy; issue by hand, reply, the notice as .docx, the register as .xlsx."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from envgrid.core.api import ScopedQuerysetMixin
from envgrid.core.documents import DOCX_MIME, docx_response
from envgrid.core.exports import XLSX_MIME
from envgrid.core.serializer_fields import StrictCharField, StrictIntegerField
from envgrid.org.policies import unit_policy

from . import supervision as services
from .documents import supervision_document
from .models import Supervision
from .policies import supervision_policy
from .supervision_export import register_xlsx


class SupervisionSerializer(serializers.ModelSerializer):
    issuer_name = StrictCharField(source="issuer.name", read_only=True)
    target_name = StrictCharField(source="target.name", read_only=True)
    status_label = StrictCharField(source="get_status_display", read_only=True)
    subject_type = serializers.SerializerMethodField()
    due_at = serializers.SerializerMethodField()
    reply_status = serializers.SerializerMethodField()

    class Meta:
        model = Supervision
        fields = [
            "id",
            "number",
            "issuer",
            "issuer_name",
            "target",
            "target_name",
            "subject_type",
            "subject_id",
            "reason",
            "requirement",
            "issued_at",
            "due_at",
            "reply_status",
            "status",
            "status_label",
            "response",
            "responded_at",
            "closed_at",
            "by_hand",
            "response_obligation",
        ]
        read_only_fields = fields

    def get_subject_type(self, obj: Supervision) -> str:
        ct = obj.subject_type
        return f"{ct.app_label}.{ct.model}" if ct is not None else ""

    def get_due_at(self, obj: Supervision) -> Any:
        ob = obj.response_obligation
        return ob.due_at if ob is not None else None

    def get_reply_status(self, obj: Supervision) -> str:
        ob = obj.response_obligation
        return ob.status if ob is not None else ""


class IssueSerializer(serializers.Serializer):
    target_type = serializers.ChoiceField(choices=list(services.HAND_TARGETS))
    target_id = StrictIntegerField(min_value=1, max_value=2**31 - 1)
    addressee = StrictIntegerField(min_value=1, max_value=2**31 - 1)
    demand = StrictCharField(max_length=4000)
    reason = StrictCharField(max_length=4000, required=False, allow_blank=True)
    workdays = StrictIntegerField(min_value=1, max_value=60, default=5)


class ReplySerializer(serializers.Serializer):
    reply = StrictCharField(max_length=8000)


class SupervisionViewSet(
    ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Supervision notices (督办通知) the caller may see: those issued by or to its unit,
    and — for the office and leaders — those of the units they oversee."""

    policy = supervision_policy
    queryset = Supervision.objects.select_related(
        "issuer", "target", "subject_type", "response_obligation"
    )
    serializer_class = SupervisionSerializer
    ordering = ["-issued_at"]

    @extend_schema(request=IssueSerializer, responses={201: SupervisionSerializer})
    def create(self, request: Request) -> Response:
        """Issue a notice by hand (the office or a leader): on a case, petition, transfer,
        decision or obligation, to a unit, with a demand and a reply deadline."""
        s = IssueSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        addressee = unit_policy.get_visible(request.user, data.pop("addressee"))
        sup = services.supervision_issue_by_hand(actor=request.user, addressee=addressee, **data)
        return Response(
            SupervisionSerializer(self.get_queryset().get(pk=sup.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=ReplySerializer, responses=SupervisionSerializer)
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: Any = None) -> Response:
        """The addressed unit records its reply; the reply deadline is discharged."""
        sup = self.get_object()
        s = ReplySerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.supervision_reply(
            actor=request.user, supervision=sup, reply=s.validated_data["reply"]
        )
        return Response(SupervisionSerializer(self.get_queryset().get(pk=sup.pk)).data)

    @extend_schema(responses={(200, DOCX_MIME): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def docx(self, request: Request, pk: Any = None) -> HttpResponse:
        sup = self.get_object()
        return docx_response(supervision_document(sup), f"督办通知书-{sup.number}")

    @extend_schema(responses={(200, XLSX_MIME): OpenApiTypes.BINARY})
    @action(detail=False, methods=["get"])
    def xlsx(self, request: Request) -> HttpResponse:
        return register_xlsx(self.filter_queryset(self.get_queryset()))
