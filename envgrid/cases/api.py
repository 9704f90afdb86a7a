"""REST API for cases, transfers, disputes, the transfer time limits and the T6 register:
parse, call one service, render. Every read starts from the caller's scope (an unseen id
answers 404); lists filter, sort and paginate on indexed columns with select_related."""

from __future__ import annotations

from typing import Any

import django_filters
from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from envgrid.core.api import ScopedQuerysetMixin
from envgrid.core.errors import NotFoundError, PermissionDeniedError
from envgrid.core.params import PlausibleIsoDateTimeFilter, query_int, query_year
from envgrid.core.parsers import SafeJSONParser
from envgrid.org.selectors import actor_for

from . import documents, selectors, services
from .models import (
    Case,
    CaseSource,
    CaseStatus,
    ClearanceStatus,
    Evidence,
    JurisdictionDispute,
    Transfer,
    TransferEvidence,
    TransferRule,
    TransferStatus,
    TransferType,
)
from .policies import case_policy, dispute_policy, transfer_policy
from .serializers import (
    CaseDetailSerializer,
    CaseSerializer,
    CaseUpdateSerializer,
    CaseWriteSerializer,
    CloseSerializer,
    CrimeFlagClearanceDecideSerializer,
    CrimeFlagClearanceRequestSerializer,
    CrimeFlagClearanceSerializer,
    CriminalDecisionSerializer,
    DesignateSerializer,
    DisputeRaiseSerializer,
    DisputeSerializer,
    EvidenceSerializer,
    EvidenceUploadSerializer,
    ExplanationSerializer,
    FeedbackSerializer,
    JurisdictionSerializer,
    LinkSerializer,
    NoteSerializer,
    OverdueRowSerializer,
    ReasonSerializer,
    ResultSerializer,
    TimelineItemSerializer,
    TransferDetailSerializer,
    TransferRuleSerializer,
    TransferSerializer,
    TransferWriteSerializer,
)

FLAG_CHOICES = [(f, f) for f in selectors.FLAGS]


class CaseFilter(django_filters.FilterSet):
    # distinct=False: a plain IN on one column needs no DISTINCT (which costs seconds at 1M).
    status = django_filters.MultipleChoiceFilter(choices=CaseStatus.choices, distinct=False)
    source = django_filters.ChoiceFilter(choices=CaseSource.choices)
    grid = django_filters.NumberFilter(method="filter_grid", label="grid (subtree)")
    flag = django_filters.ChoiceFilter(choices=FLAG_CHOICES, method="filter_flag")
    overdue = django_filters.BooleanFilter()
    owner_unit = django_filters.NumberFilter()
    discovered_by_unit = django_filters.NumberFilter()
    entity = django_filters.NumberFilter()
    registered_after = PlausibleIsoDateTimeFilter(field_name="registered_at", lookup_expr="gte")
    registered_before = PlausibleIsoDateTimeFilter(field_name="registered_at", lookup_expr="lt")
    discovered_after = PlausibleIsoDateTimeFilter(field_name="discovered_at", lookup_expr="gte")
    discovered_before = PlausibleIsoDateTimeFilter(field_name="discovered_at", lookup_expr="lt")

    class Meta:
        model = Case
        fields: list[str] = []

    def filter_grid(self, qs: Any, name: str, value: Any) -> Any:
        from envgrid.grids.models import Grid

        grid = Grid.objects.filter(pk=value).first()
        if grid is None:
            return qs.none()
        return qs.filter(occurrence_grid__in=selectors.grid_subtree_ids(grid))

    def filter_flag(self, qs: Any, name: str, value: str) -> Any:
        return qs.filter(**{value: True}) if value in selectors.FLAGS else qs


class TransferFilter(django_filters.FilterSet):
    direction = django_filters.ChoiceFilter(
        choices=[("in", "in"), ("out", "out"), ("copy", "copy")], method="filter_direction"
    )
    status = django_filters.MultipleChoiceFilter(choices=TransferStatus.choices, distinct=False)
    transfer_type = django_filters.ChoiceFilter(choices=TransferType.choices)
    year = django_filters.NumberFilter()
    overdue = django_filters.BooleanFilter()
    sender_unit = django_filters.NumberFilter()
    receiver_unit = django_filters.NumberFilter()
    case = django_filters.NumberFilter()

    class Meta:
        model = Transfer
        fields: list[str] = []

    def filter_direction(self, qs: Any, name: str, value: str) -> Any:
        unit_id = actor_for(self.request.user).unit_id if self.request else None
        field = {"in": "receiver_unit_id", "out": "sender_unit_id", "copy": "copy_to_unit_id"}
        return qs.filter(**{field[value]: unit_id}) if value in field else qs


class _Base(ScopedQuerysetMixin, viewsets.GenericViewSet):
    def _input(self, serializer_class: Any, **kwargs: Any) -> dict[str, Any]:
        s = serializer_class(context=self.get_serializer_context(), **kwargs)
        s.is_valid(raise_exception=True)
        return dict(s.validated_data)

    def _render(self, serializer_class: Any, obj: Any, code: int = status.HTTP_200_OK) -> Response:
        return Response(
            serializer_class(obj, context=self.get_serializer_context()).data, status=code
        )


class CaseViewSet(_Base, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Cases (案件). List filters: status (repeatable), source, grid (its subtree), flag,
    overdue, owner_unit, discovered_by_unit, entity, registered_/discovered_ after/before;
    `search` in number, title and entity; `ordering` by registered_at, discovered_at,
    number, status, id."""

    policy = case_policy
    queryset = Case.objects.select_related(*selectors.CASE_RELATED)
    serializer_class = CaseSerializer
    filterset_class = CaseFilter
    ordering_fields = ["registered_at", "discovered_at", "number", "status", "id"]
    ordering = ["-registered_at", "-id"]
    search_fields = ["number", "title", "entity_name"]

    def get_serializer_class(self) -> Any:
        return CaseDetailSerializer if self.action != "list" else CaseSerializer

    def _case(self) -> Case:
        return self.get_object()

    @extend_schema(request=CaseWriteSerializer, responses={201: CaseDetailSerializer})
    def create(self, request: Request) -> Response:
        data = self._input(CaseWriteSerializer, data=request.data)
        case = services.case_create(actor=request.user, **data)
        return self._render(CaseDetailSerializer, case, status.HTTP_201_CREATED)

    @extend_schema(request=CaseUpdateSerializer, responses=CaseDetailSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        case = self._case()
        data = self._input(CaseUpdateSerializer, data=request.data, partial=True)
        case = services.case_update(actor=request.user, case=case, **data)
        return self._render(CaseDetailSerializer, case)

    @extend_schema(request=NoteSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def open(self, request: Request, pk: Any = None) -> Response:
        data = self._input(NoteSerializer, data=request.data)
        case = services.case_open(actor=request.user, case=self._case(), note=data["note"])
        return self._render(CaseDetailSerializer, case)

    @extend_schema(request=ResultSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: Any = None) -> Response:
        data = self._input(ResultSerializer, data=request.data)
        case = services.case_complete(actor=request.user, case=self._case(), result=data["result"])
        return self._render(CaseDetailSerializer, case)

    @extend_schema(request=CloseSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: Any = None) -> Response:
        data = self._input(CloseSerializer, data=request.data)
        case = services.case_close(actor=request.user, case=self._case(), **data)
        return self._render(CaseDetailSerializer, case)

    @extend_schema(request=ReasonSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: Any = None) -> Response:
        data = self._input(ReasonSerializer, data=request.data)
        case = services.case_withdraw(actor=request.user, case=self._case(), reason=data["reason"])
        return self._render(CaseDetailSerializer, case)

    @extend_schema(request=CriminalDecisionSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="criminal-decision")
    def criminal_decision(self, request: Request, pk: Any = None) -> Response:
        data = self._input(CriminalDecisionSerializer, data=request.data)
        case = services.case_criminal_decide(actor=request.user, case=self._case(), **data)
        return self._render(CaseDetailSerializer, case)

    @extend_schema(
        request=CrimeFlagClearanceRequestSerializer, responses={201: CrimeFlagClearanceSerializer}
    )
    @action(detail=True, methods=["post"], url_path="crime-flag-clearance")
    def crime_flag_clearance(self, request: Request, pk: Any = None) -> Response:
        """T2: ask the office to clear the "suspected crime" flag (the unit cannot clear it)."""
        data = self._input(CrimeFlagClearanceRequestSerializer, data=request.data)
        c = services.case_crime_flag_clear_request(actor=request.user, case=self._case(), **data)
        return self._render(CrimeFlagClearanceSerializer, c, status.HTTP_201_CREATED)

    @extend_schema(
        request=CrimeFlagClearanceDecideSerializer, responses=CrimeFlagClearanceSerializer
    )
    @action(detail=True, methods=["post"], url_path="crime-flag-clearance/decide")
    def crime_flag_clearance_decide(self, request: Request, pk: Any = None) -> Response:
        """T2: the office approves or refuses the pending request to clear the flag."""
        data = self._input(CrimeFlagClearanceDecideSerializer, data=request.data)
        case = self._case()
        pending = case.crime_flag_clearances.filter(status=ClearanceStatus.PENDING).first()
        if pending is None:
            raise NotFoundError(_("没有待审批的取消标记申请。"), code="clearance_not_found")
        c = services.case_crime_flag_clear_decide(actor=request.user, clearance=pending, **data)
        return self._render(CrimeFlagClearanceSerializer, c)

    @extend_schema(request=LinkSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="same-matter")
    def same_matter(self, request: Request, pk: Any = None) -> Response:
        data = self._input(LinkSerializer, data=request.data)
        other = case_policy.get_visible(request.user, data["other"])
        case = services.case_link_same_matter(actor=request.user, case=self._case(), other=other)
        return self._render(CaseDetailSerializer, case)

    @extend_schema(request=DisputeRaiseSerializer, responses={201: DisputeSerializer})
    @action(detail=True, methods=["post"])
    def dispute(self, request: Request, pk: Any = None) -> Response:
        data = self._input(DisputeRaiseSerializer, data=request.data)
        case = self._case()
        transfer = None
        if data.get("transfer"):
            transfer = transfer_policy.get_visible(request.user, data["transfer"])
        d = services.dispute_raise(
            actor=request.user,
            case=case,
            parties=data["parties"],
            reason=data["reason"],
            transfer=transfer,
        )
        return self._render(DisputeSerializer, d, status.HTTP_201_CREATED)

    @extend_schema(responses=TimelineItemSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def timeline(self, request: Request, pk: Any = None) -> Response:
        items = selectors.case_timeline(self._case())
        return Response(TimelineItemSerializer(items, many=True).data)

    @extend_schema(responses=JurisdictionSerializer)
    @action(detail=True, methods=["get"])
    def jurisdiction(self, request: Request, pk: Any = None) -> Response:
        p = selectors.jurisdiction_proposal(self._case())
        data = {
            "occurrence_grid": str(p.grid) if p.grid else None,
            "chain": [str(g) for g in p.chain],
            "proposed_unit": p.proposed_unit.pk if p.proposed_unit else None,
            "proposed_unit_name": p.proposed_unit.name if p.proposed_unit else None,
            "owner_is_proposed": p.owner_is_proposed,
            "note": p.note,
            "first_unit": p.first.unit.pk if p.first.unit else None,
            "tie": p.first.tie,
            "discovery": p.first.as_rows(),
        }
        return Response(JurisdictionSerializer(data).data)

    @extend_schema(methods=["get"], request=None, responses=EvidenceSerializer(many=True))
    @extend_schema(
        methods=["post"],
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={201: EvidenceSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[MultiPartParser, FormParser, SafeJSONParser],
        pagination_class=None,
    )
    def evidence(self, request: Request, pk: Any = None) -> Response:
        case = self._case()
        if request.method == "GET":
            return Response(
                EvidenceSerializer(
                    case.evidence.all(), many=True, context=self.get_serializer_context()
                ).data
            )
        data = self._input(EvidenceUploadSerializer, data=request.data)
        ev = services.evidence_add(
            actor=request.user, case=case, upload=data["file"], description=data["description"]
        )
        return self._render(EvidenceSerializer, ev, status.HTTP_201_CREATED)


def _file_response(obj: Evidence | TransferEvidence) -> FileResponse:
    try:
        handle = obj.file.open("rb")
    except FileNotFoundError:
        raise NotFoundError(_("文件不存在。")) from None
    response = FileResponse(
        handle, as_attachment=True, filename=obj.original_name, content_type=obj.mime
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


class EvidenceDownloadView(APIView):
    """An evidence file, only for who may see its case."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: int) -> FileResponse:
        ev = Evidence.objects.filter(pk=pk).first()
        if ev is None or not case_policy.can_view(request.user, ev.case):
            raise NotFoundError(_("证据材料未找到。"))
        return _file_response(ev)


class TransferEvidenceDownloadView(APIView):
    """A copy of evidence as sent with a transfer, for who may see the transfer."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: int) -> FileResponse:
        te = TransferEvidence.objects.filter(pk=pk).first()
        if te is None or not transfer_policy.can_view(request.user, te.transfer):
            raise NotFoundError(_("移送材料未找到。"))
        return _file_response(te)


class TransferViewSet(_Base, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Transfers (移送). Filters: direction (in/out/copy, relative to the caller's unit),
    status (repeatable), transfer_type, year, overdue, sender_unit, receiver_unit, case;
    `ordering` by sent_at, number, status."""

    policy = transfer_policy
    queryset = Transfer.objects.select_related(*selectors.TRANSFER_RELATED)
    serializer_class = TransferSerializer
    filterset_class = TransferFilter
    ordering_fields = ["sent_at", "number", "status", "id"]
    ordering = ["-sent_at", "-id"]
    search_fields = ["number", "case__number", "entity_name"]

    def get_serializer_class(self) -> Any:
        return TransferDetailSerializer if self.action != "list" else TransferSerializer

    @extend_schema(request=TransferWriteSerializer, responses={201: TransferDetailSerializer})
    def create(self, request: Request) -> Response:
        data = self._input(TransferWriteSerializer, data=request.data)
        case = case_policy.get_visible(request.user, data.pop("case"))
        t = services.transfer_create(actor=request.user, case=case, **data)
        return self._render(TransferDetailSerializer, t, status.HTTP_201_CREATED)

    @extend_schema(request=NoteSerializer, responses=TransferDetailSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: Any = None) -> Response:
        data = self._input(NoteSerializer, data=request.data)
        t = services.transfer_accept(
            actor=request.user, transfer=self.get_object(), note=data["note"]
        )
        return self._render(TransferDetailSerializer, t)

    @extend_schema(request=ExplanationSerializer, responses=TransferDetailSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: Any = None) -> Response:
        data = self._input(ExplanationSerializer, data=request.data)
        t = services.transfer_return(
            actor=request.user, transfer=self.get_object(), explanation=data["explanation"]
        )
        return self._render(TransferDetailSerializer, t)

    @extend_schema(request=ReasonSerializer, responses=TransferDetailSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: Any = None) -> Response:
        data = self._input(ReasonSerializer, data=request.data)
        t = services.transfer_withdraw(
            actor=request.user, transfer=self.get_object(), reason=data["reason"]
        )
        return self._render(TransferDetailSerializer, t)

    @extend_schema(request=ResultSerializer, responses=TransferDetailSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: Any = None) -> Response:
        data = self._input(ResultSerializer, data=request.data)
        t = services.transfer_complete(
            actor=request.user, transfer=self.get_object(), result=data["result"]
        )
        return self._render(TransferDetailSerializer, t)

    @extend_schema(request=FeedbackSerializer, responses=TransferDetailSerializer)
    @action(detail=True, methods=["post"])
    def feedback(self, request: Request, pk: Any = None) -> Response:
        data = self._input(FeedbackSerializer, data=request.data)
        t = services.transfer_feedback(
            actor=request.user, transfer=self.get_object(), text=data["text"]
        )
        return self._render(TransferDetailSerializer, t)

    @extend_schema(responses={(200, documents.DOCX_MIME): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def letter(self, request: Request, pk: Any = None) -> HttpResponse:
        """移送函 (.docx)."""
        return documents.transfer_letter_response(self.get_object())

    @extend_schema(responses={(200, documents.DOCX_MIME): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="registration-form")
    def registration_form(self, request: Request, pk: Any = None) -> HttpResponse:
        """移送登记表 (.docx)."""
        return documents.transfer_form_response(self.get_object())

    @extend_schema(responses={(200, documents.XLSX_MIME): OpenApiTypes.BINARY})
    @action(detail=False, methods=["get"])
    def register(self, request: Request) -> HttpResponse:
        """移送登记簿 (.xlsx) of the transfers listed with the same filters."""
        qs = self.filter_queryset(self.get_queryset())
        return documents.transfer_register_response(qs)


class DisputeViewSet(_Base, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Jurisdiction disputes (管辖争议, T5): raised on a case (POST /cases/{id}/dispute/),
    designated here by the owner unit of the lowest common parent grid."""

    policy = dispute_policy
    queryset = JurisdictionDispute.objects.select_related(
        "designating_unit", "designated_unit", "raised_by_unit", "common_grid", "suggested_unit"
    ).prefetch_related("cases", "parties")
    serializer_class = DisputeSerializer
    filterset_fields = ["status", "designating_unit"]
    ordering_fields = ["raised_at", "designated_at", "id"]
    ordering = ["-raised_at", "-id"]

    @extend_schema(request=DesignateSerializer, responses=DisputeSerializer)
    @action(detail=True, methods=["post"])
    def designate(self, request: Request, pk: Any = None) -> Response:
        data = self._input(DesignateSerializer, data=request.data)
        d = services.dispute_designate(
            actor=request.user, dispute=self.get_object(), unit=data["unit"], reason=data["reason"]
        )
        return self._render(DisputeSerializer, d)


class TransferRuleViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The transfer time limits in force (administrators edit them in the admin site)."""

    queryset = TransferRule.objects.all()
    serializer_class = TransferRuleSerializer
    pagination_class = None
    filterset_fields = ["transfer_type", "step", "is_active"]


class OverdueRegisterView(APIView):
    """T6 overdue register: transfers not made in time, not handled in time, feedback
    late — with the unit and person responsible. `format=xlsx` exports it."""

    @extend_schema(
        parameters=[
            OpenApiParameter("category", str, enum=["made", "handled", "feedback"]),
            OpenApiParameter("unit", int),
            OpenApiParameter("year", int),
            OpenApiParameter("state", str, enum=["open", "late"]),
        ],
        responses=OverdueRowSerializer(many=True),
    )
    def get(self, request: Request) -> Response | HttpResponse:
        rows = selectors.overdue_register(
            user=request.user, **_register_params(request.query_params)
        )
        if request.query_params.get("export") == "xlsx":
            return documents.overdue_register_response(rows)
        return Response(OverdueRowSerializer(rows, many=True).data)


def _register_params(params: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if params.get("category") in selectors.CATEGORY_STEPS:
        out["category"] = params["category"]
    unit = query_int(params, "unit", lo=1)
    year = query_year(params)
    if unit is not None:
        out["unit"] = unit
    if year is not None:
        out["year"] = year
    if params.get("state") in ("open", "late"):
        out["state"] = params["state"]
    return out


class TimelinessView(APIView):
    """Per unit and year: transfers made / handled / feedback on time, late, pending —
    the counts the assessment (A) reads. Office staff, leaders and administrators."""

    @extend_schema(
        parameters=[OpenApiParameter("year", int, required=True)], responses=OpenApiTypes.OBJECT
    )
    def get(self, request: Request) -> Response:
        actor = actor_for(request.user)
        if not (actor.is_admin or actor.overseen_group_ids):
            raise PermissionDeniedError(_("仅领导小组办公室、领导和系统管理员可查看。"))
        year = query_year(request.query_params, current_if_absent=True)
        assert year is not None
        units = None if actor.is_admin else actor.overseen_unit_ids()
        data = selectors.transfer_timeliness(year=year, units=units)
        return Response({str(k): v for k, v in data.items()})
