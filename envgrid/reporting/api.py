"""REST API for reports, schedules, due reports, compliance, officers and the dashboard:
parse, call one service, render. Reads start from the caller's scope (unseen → 404)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from envgrid.core.params import ID_MAX, maybe_int, query_int, query_year

from .models import ReportSchedule
from .policies import schedule_policy
from .selectors import due_list, officer_list, report_compliance, report_list
from .serializers import (
    ComplianceRowSerializer,
    DueSerializer,
    GenerateResultSerializer,
    OfficerRowSerializer,
    ReportEventSerializer,
    ReportSerializer,
    ReportUpdateSerializer,
    ReportWriteSerializer,
    ScheduleSerializer,
    ScheduleWriteSerializer,
    TransitionSerializer,
    WaiveSerializer,
)
from .services import (
    due_waive,
    dues_generate,
    major_adjustments_sync,
    report_act,
    report_create,
    report_update,
    schedule_create,
    schedule_update,
)


def _parse(serializer_class: Any, view: Any, *args: Any, **kwargs: Any) -> Any:
    serializer = serializer_class(*args, context=view.get_serializer_context(), **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _year(request: Request) -> int:
    year = query_int(request.query_params, "year", lo=2000, hi=2100)
    return year if year is not None else timezone.localdate().year


REPORT_FILTERS = [
    OpenApiParameter("status", str, description="状态"),
    OpenApiParameter("report_type", str, description="信息类型"),
    OpenApiParameter("unit", int, description="报送单位 id"),
    OpenApiParameter("year", int, description="采集年份"),
    OpenApiParameter("q", str, description="标题或编号包含"),
]


class ReportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Information reports (信息报送, I2–I3). A unit collects, screens, processes and
    submits; the office gives feedback, publishes (hands to disclosure) and archives."""

    serializer_class = ReportSerializer

    def get_queryset(self) -> Any:
        params = self.request.query_params if self.action == "list" else {}
        keys = ("status", "report_type", "unit", "year", "q")
        filters: dict[str, Any] = {k: params.get(k) for k in keys if params.get(k)}
        if "unit" in filters:
            filters["unit"] = query_int(filters, "unit", lo=1, hi=ID_MAX)
        if "year" in filters:
            filters["year"] = query_year(filters)
        return report_list(user=self.request.user, filters=filters)

    @extend_schema(parameters=REPORT_FILTERS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        major_adjustments_sync()
        return super().list(request, *args, **kwargs)

    @extend_schema(request=ReportWriteSerializer, responses={201: ReportSerializer})
    def create(self, request: Request) -> Response:
        data = _parse(ReportWriteSerializer, self, data=request.data)
        report = report_create(actor=request.user, **data)
        return Response(self.get_serializer(report).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReportUpdateSerializer, responses=ReportSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        report = self.get_object()
        data = _parse(ReportUpdateSerializer, self, data=request.data, partial=True)
        report = report_update(actor=request.user, report=report, **data)
        return Response(self.get_serializer(report).data)

    @extend_schema(request=TransitionSerializer, responses=ReportSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: Any = None) -> Response:
        """Take one step: screen, process, submit, feedback, return, publish, archive,
        withdraw (feedback, return and withdraw need a note)."""
        report = self.get_object()
        data = _parse(TransitionSerializer, self, data=request.data)
        report = report_act(actor=request.user, report=report, **data)
        return Response(self.get_serializer(report).data)

    @extend_schema(responses=ReportEventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request: Request, pk: Any = None) -> Response:
        report = self.get_object()
        return Response(ReportEventSerializer(report.events.all(), many=True).data)


class ScheduleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Reporting schedule (报送计划, I3): what each unit submits and by when. The office
    creates and edits; `generate` opens the due reports of every period begun so far
    (idempotent)."""

    serializer_class = ScheduleSerializer

    def get_queryset(self) -> Any:
        return schedule_policy.scope(self.request.user).prefetch_related("units")

    @extend_schema(request=ScheduleWriteSerializer, responses={201: ScheduleSerializer})
    def create(self, request: Request) -> Response:
        data = dict(_parse(ScheduleWriteSerializer, self, data=request.data))
        schedule = schedule_create(actor=request.user, **data)
        return Response(self.get_serializer(schedule).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ScheduleWriteSerializer, responses=ScheduleSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        schedule = self.get_object()
        data = dict(_parse(ScheduleWriteSerializer, self, data=request.data, partial=True))
        schedule = schedule_update(actor=request.user, schedule=schedule, **data)
        return Response(self.get_serializer(schedule).data)

    @extend_schema(request=None, responses=GenerateResultSerializer)
    @action(detail=True, methods=["post"])
    def generate(self, request: Request, pk: Any = None) -> Response:
        schedule: ReportSchedule = self.get_object()
        schedule_policy.require_change(request.user, schedule)
        result = dues_generate(schedules=[schedule], actor=request.user)
        return Response(GenerateResultSerializer(result).data)


DUE_FILTERS = [
    OpenApiParameter("unit", int),
    OpenApiParameter("schedule", int),
    OpenApiParameter("period", str, description="期次，如 2026-03、2026-Q1、2026"),
    OpenApiParameter("year", int),
    OpenApiParameter("outcome", str, enum=["on_time", "late", "missing", "pending", "waived"]),
]


class DueViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Due reports (应报事项): one per unit and period of a schedule, with its outcome."""

    serializer_class = DueSerializer

    def get_queryset(self) -> Any:
        params = self.request.query_params if self.action == "list" else {}
        keys = ("unit", "schedule", "period", "year", "outcome")
        filters: dict[str, Any] = {k: params.get(k) for k in keys if params.get(k)}
        for k in ("unit", "schedule"):
            if k in filters:
                filters[k] = query_int(filters, k, lo=1, hi=ID_MAX)
        if "year" in filters:
            filters["year"] = query_year(filters)
        return due_list(user=self.request.user, filters=filters)

    @extend_schema(parameters=DUE_FILTERS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=WaiveSerializer, responses=DueSerializer)
    @action(detail=True, methods=["post"])
    def waive(self, request: Request, pk: Any = None) -> Response:
        due = self.get_object()
        data = _parse(WaiveSerializer, self, data=request.data)
        due_waive(actor=request.user, due=due, reason=data["reason"])
        return Response(self.get_serializer(self.get_queryset().get(pk=due.pk)).data)


class ComplianceView(APIView):
    """Per unit and year: reports due, on time, late, missing, pending, waived (I3; read by
    assessment)."""

    @extend_schema(
        parameters=[OpenApiParameter("year", int)],
        responses=ComplianceRowSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        rows = report_compliance(year=_year(request), user=request.user)
        return Response(ComplianceRowSerializer(rows, many=True).data)


class OfficerView(APIView):
    """Information officers (信息工作负责人, I2) of the units in view; `gaps=1` lists only
    the units without one."""

    @extend_schema(
        parameters=[OpenApiParameter("gaps", OpenApiTypes.BOOL)],
        responses=OfficerRowSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        gaps = request.query_params.get("gaps") in ("1", "true", "yes")
        rows = officer_list(user=request.user, gaps_only=gaps)
        return Response(OfficerRowSerializer(rows, many=True).data)


class DashboardView(APIView):
    """The overview's figures as JSON (the same aggregate queries as the page): totals,
    by month, by unit and by grid, for the caller's scope (office/leaders: a leading
    group they oversee, `group` to choose; a unit: its own figures)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("group", int, description="领导小组 id"),
            OpenApiParameter("year", int),
            OpenApiParameter("from", OpenApiTypes.DATE),
            OpenApiParameter("to", OpenApiTypes.DATE),
            OpenApiParameter("level", int, description="网格层级"),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        from .dashboard import dashboard_scope, overview
        from .dashboard_views import parse_period

        scope = dashboard_scope(request.user, request.query_params.get("group"))
        level = request.query_params.get("level", "")
        ov = overview(
            scope,
            period=parse_period(request.query_params),
            level=maybe_int(level, lo=0, hi=99),
        )
        return Response(
            {
                "scope": {
                    "kind": scope.kind,
                    "label": scope.label,
                    "group": scope.group.pk if scope.group else None,
                },
                "period": {"start": ov.period.start, "end": ov.period.end},
                "metrics": [
                    {
                        "key": m.key,
                        "label": str(m.label),
                        **ov.totals[m.key],
                        "by_month": {
                            f"{mo:%Y-%m}": ov.by_month[m.key].get(mo, 0) for mo in ov.months
                        },
                        "by_unit": {str(k): v for k, v in ov.by_unit[m.key].items()},
                    }
                    for m in ov.metrics
                ],
                "units": ov.units,
                "level": ov.level,
                "grids": ov.grids,
            }
        )
