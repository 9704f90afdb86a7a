"""Patrol API for the mobile app: start (or resume), upload track parts, record checks,
attach photos, finish, turn a finding into a case. Views parse, call one service, render."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from envgrid.core import limits
from envgrid.core.api import ScopedQuerysetMixin
from envgrid.core.errors import ApplicationError, NotFoundError
from envgrid.core.parsers import SafeJSONParser
from envgrid.core.serializer_fields import (
    StrictBooleanField,
    StrictCharField,
    StrictFloatField,
    StrictIntegerField,
)
from envgrid.entities.models import SupervisedEntity
from envgrid.grids.models import Grid
from envgrid.grids.policies import grid_policy
from envgrid.org.models import Person

from . import services
from .models import CheckResult, Patrol, PatrolCheck, PatrolPhoto
from .policies import patrol_policy
from .selectors import PlanRow, plan_rows, track_geojson


class CheckSerializer(serializers.ModelSerializer):
    entity_name = serializers.CharField(source="entity.name", read_only=True)

    class Meta:
        model = PatrolCheck
        fields = [
            "id",
            "entity",
            "entity_name",
            "checked_at",
            "result",
            "notes",
            "lon",
            "lat",
            "outside_grid",
            "case",
        ]
        read_only_fields = fields


class PhotoSerializer(serializers.ModelSerializer):
    class Meta:
        model = PatrolPhoto
        fields = ["id", "check_item", "original_name", "mime", "size", "uploaded_at"]
        read_only_fields = fields


class PatrolSerializer(serializers.ModelSerializer):
    staff_name = serializers.CharField(source="staff.name", read_only=True)
    grid_name = serializers.CharField(source="grid.name", read_only=True)
    checks = CheckSerializer(many=True, read_only=True)

    class Meta:
        model = Patrol
        fields = [
            "id",
            "staff",
            "staff_name",
            "grid",
            "grid_name",
            "status",
            "started_at",
            "ended_at",
            "notes",
            "point_count",
            "first_point_at",
            "last_point_at",
            "outside_seconds",
            "checks",
        ]
        read_only_fields = fields


class StartSerializer(serializers.Serializer):
    grid = StrictIntegerField(required=False)
    started_at = serializers.DateTimeField(required=False)


class TrackSerializer(serializers.Serializer):
    file = serializers.FileField(required=False, help_text=_("GPX 或 GeoJSON 文件"))
    geojson = serializers.JSONField(required=False)


class CheckInSerializer(serializers.Serializer):
    entity = StrictIntegerField()
    result = serializers.ChoiceField(choices=CheckResult.choices)
    notes = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.LONG)
    checked_at = serializers.DateTimeField(required=False)
    lon = StrictFloatField(required=False)
    lat = StrictFloatField(required=False)


class PhotoInSerializer(serializers.Serializer):
    file = serializers.FileField()
    check_item = StrictIntegerField(required=False)


class FinishSerializer(serializers.Serializer):
    ended_at = serializers.DateTimeField(required=False)
    notes = StrictCharField(required=False, allow_blank=True, max_length=limits.LONG)


class CaseInSerializer(serializers.Serializer):
    check_item = StrictIntegerField()
    title = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.SHORT)


class TrackResultSerializer(serializers.Serializer):
    added = StrictIntegerField()
    point_count = StrictIntegerField()


class CaseResultSerializer(serializers.Serializer):
    case = StrictIntegerField()
    number = StrictCharField(max_length=limits.SHORT)


def _valid(ser_class: Any, request: Request) -> dict[str, Any]:
    ser = ser_class(data=request.data)
    ser.is_valid(raise_exception=True)
    return dict(ser.validated_data)


class PatrolViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    policy = patrol_policy
    serializer_class = PatrolSerializer
    queryset = Patrol.objects.select_related("staff", "grid").prefetch_related("checks__entity")
    parser_classes = [SafeJSONParser, MultiPartParser, FormParser]

    @extend_schema(request=None, responses={202: dict})
    @action(detail=False, methods=["post"], url_path="ingest")
    def ingest(self, request: Request) -> Response:
        """A day of GPS tracks (CSV or .csv.gz, field `file`) as a job: 202, progress at
        /api/jobs/<id>/ (administrators)."""
        from envgrid.core.jobs_api import job_started

        from .jobs import patrol_ingest_job_start

        upload = request.FILES.get("file")
        if upload is None:
            raise ApplicationError(
                _("请上传轨迹 CSV 文件。"), code="invalid", fields={"file": [_("必填")]}
            )
        job = patrol_ingest_job_start(
            actor=request.user, data=upload.read(), filename=upload.name or ""
        )
        return job_started(job)

    @extend_schema(request=StartSerializer, responses={201: PatrolSerializer})
    def create(self, request: Request) -> Response:
        """Start a patrol, or resume the one still open."""
        data = _valid(StartSerializer, request)
        grid = None
        if data.get("grid") is not None:
            grid = Grid.objects.filter(pk=data["grid"]).first()
            if grid is None:
                raise NotFoundError(_("网格未找到"))
        patrol = services.patrol_start(
            actor=request.user, grid=grid, started_at=data.get("started_at")
        )
        return Response(PatrolSerializer(patrol).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TrackSerializer, responses={200: TrackResultSerializer})
    @action(detail=True, methods=["post"])
    def track(self, request: Request, pk: Any = None) -> Response:
        """Upload one part of the track (GPX/GeoJSON file, or GeoJSON in the body)."""
        patrol = self.get_object()
        upload = request.FILES.get("file")
        body: Any = request.data
        if upload is not None:
            data: Any = upload.read()
            name = upload.name or ""
        elif "geojson" in body:
            data, name = body["geojson"], ""
        elif isinstance(body, dict) and body.get("type"):
            data, name = dict(body), ""
        else:
            raise ApplicationError(
                _("请上传轨迹文件。"), code="track_required", fields={"file": [_("必填")]}
            )
        added = services.track_add(actor=request.user, patrol=patrol, data=data, name=name)
        patrol.refresh_from_db()
        return Response({"added": added, "point_count": patrol.point_count})

    @extend_schema(request=CheckInSerializer, responses={201: CheckSerializer})
    @action(detail=True, methods=["post"])
    def checks(self, request: Request, pk: Any = None) -> Response:
        patrol = self.get_object()
        data = _valid(CheckInSerializer, request)
        entity = SupervisedEntity.objects.filter(pk=data.pop("entity")).first()
        if entity is None:
            raise ApplicationError(
                _("监管对象不存在。"), code="entity_invalid", fields={"entity": [_("无效")]}
            )
        check = services.check_record(actor=request.user, patrol=patrol, entity=entity, **data)
        return Response(CheckSerializer(check).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PhotoInSerializer, responses={201: PhotoSerializer})
    @action(detail=True, methods=["post"])
    def photos(self, request: Request, pk: Any = None) -> Response:
        patrol = self.get_object()
        data = _valid(PhotoInSerializer, request)
        check = None
        if data.get("check_item") is not None:
            check = PatrolCheck.objects.filter(pk=data["check_item"], patrol=patrol).first()
            if check is None:
                raise ApplicationError(_("检查不属于该巡查。"), code="check_mismatch")
        photo = services.photo_attach(
            actor=request.user, patrol=patrol, upload=data["file"], check=check
        )
        return Response(PhotoSerializer(photo).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=FinishSerializer, responses={200: PatrolSerializer})
    @action(detail=True, methods=["post"])
    def finish(self, request: Request, pk: Any = None) -> Response:
        patrol = self.get_object()
        data = _valid(FinishSerializer, request)
        patrol = services.patrol_finish(actor=request.user, patrol=patrol, **data)
        return Response(PatrolSerializer(patrol).data)

    @extend_schema(request=CaseInSerializer, responses={201: CaseResultSerializer})
    @action(detail=True, methods=["post"])
    def case(self, request: Request, pk: Any = None) -> Response:
        """Turn a finding of this patrol into a case (source "patrol")."""
        patrol = self.get_object()
        data = _valid(CaseInSerializer, request)
        check = PatrolCheck.objects.filter(pk=data["check_item"], patrol=patrol).first()
        if check is None:
            raise ApplicationError(_("检查不属于该巡查。"), code="check_mismatch")
        case = services.check_to_case(actor=request.user, check=check, title=data["title"])
        return Response(
            {"case": case.pk, "number": getattr(case, "number", "")},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(responses={200: dict})
    @action(detail=True, methods=["get"], url_path="track.geojson")
    def track_geojson(self, request: Request, pk: Any = None) -> Response:
        return Response(track_geojson(self.get_object()))


class PlanStaffSerializer(serializers.Serializer):
    id = StrictIntegerField()
    name = StrictCharField(max_length=limits.SHORT)


class PatrolPlanSerializer(serializers.Serializer):
    grid = StrictIntegerField(source="grid.pk")
    grid_code = StrictCharField(source="grid.code", max_length=limits.SHORT)
    grid_name = StrictCharField(source="grid.name", max_length=limits.SHORT)
    staff = PlanStaffSerializer(many=True)
    every_days = serializers.DictField(child=StrictIntegerField())
    own = serializers.DictField(
        child=StrictIntegerField(), help_text=_("计划本身设定的频次（其余为默认）")
    )
    notes = serializers.SerializerMethodField()
    can_change = StrictBooleanField()

    def get_notes(self, row: PlanRow) -> str:
        return row.plan.notes if row.plan else ""


class PatrolPlanInSerializer(serializers.Serializer):
    staff = serializers.ListField(child=StrictIntegerField(), allow_empty=True)
    every_days = serializers.DictField(
        child=StrictIntegerField(allow_null=True),
        help_text=_('每类监管对象的巡查间隔天数，如 {"key": 7}；未列出的类别用默认值'),
    )
    notes = StrictCharField(required=False, allow_blank=True, max_length=limits.LONG)


class PatrolPlanViewSet(ScopedQuerysetMixin, viewsets.GenericViewSet):
    """Patrol plans by grid (the id is the grid's): the staff named and the days between
    checks per entity category. Read by whoever sees the grid; set (PUT) by the office
    overseeing it or the owner unit of the grid or of a grid above it."""

    policy = grid_policy
    queryset = Grid.objects.select_related("owner_unit").order_by("code")
    serializer_class = PatrolPlanSerializer
    http_method_names = ["get", "put", "head", "options"]

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        rows = plan_rows(user=request.user, grids=page if page is not None else [])
        return self.get_paginated_response(PatrolPlanSerializer(rows, many=True).data)

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        [row] = plan_rows(user=request.user, grids=[self.get_object()])
        return Response(PatrolPlanSerializer(row).data)

    @extend_schema(request=PatrolPlanInSerializer, responses={200: PatrolPlanSerializer})
    def update(self, request: Request, pk: Any = None) -> Response:
        grid = self.get_object()
        data = _valid(PatrolPlanInSerializer, request)
        ids = list(dict.fromkeys(data["staff"]))
        people = list(Person.objects.filter(pk__in=ids))
        missing = sorted(set(ids) - {p.pk for p in people})
        if missing:
            raise ApplicationError(
                _("人员不存在：%(ids)s") % {"ids": ", ".join(map(str, missing))},
                code="staff_invalid",
                fields={"staff": [_("无效")]},
            )
        services.plan_set(
            actor=request.user,
            grid=grid,
            staff=people,
            every_days=data["every_days"],
            notes=data.get("notes"),
        )
        [row] = plan_rows(user=request.user, grids=[grid])
        return Response(PatrolPlanSerializer(row).data)
