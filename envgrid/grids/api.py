"""Grid API: the tree (G1), roster (G2), point → grid (G3), history and major
adjustments (G5). Views parse, call one service or selector, render."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

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
from envgrid.org.models import Person, Unit
from envgrid.org.policies import person_policy

from . import services
from .coords import CRS_CHOICES, UnknownCRS, normalize_crs, to_wgs84
from .models import Grid, GridAssignment, GridRole, MajorAdjustment
from .policies import grid_policy
from .selectors import (
    RESOLUTION_RULE,
    grid_export_geojson,
    grid_gaps,
    grid_history,
    grid_list,
    grid_resolve,
    grid_resolve_many,
    major_adjustment_list,
    roster,
)


# ---------------------------------------------------------------------- serializers
class GridSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", default=None, read_only=True)
    owner_unit_name = serializers.CharField(source="owner_unit.name", read_only=True)
    bbox = serializers.SerializerMethodField()

    class Meta:
        model = Grid
        fields = [
            "id",
            "code",
            "name",
            "level",
            "parent",
            "parent_code",
            "owner_unit",
            "owner_unit_name",
            "leading_group",
            "is_active",
            "duties",
            "min_staff",
            "path",
            "bbox",
        ]
        read_only_fields = fields

    def get_bbox(self, obj: Grid) -> list[float]:
        return [obj.min_lon, obj.min_lat, obj.max_lon, obj.max_lat]


class GridDetailSerializer(GridSerializer):
    class Meta(GridSerializer.Meta):
        fields = [*GridSerializer.Meta.fields, "boundary"]
        read_only_fields = fields


class GridUpdateSerializer(serializers.Serializer):
    name = StrictCharField(required=False, max_length=200)
    owner_unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), required=False)
    duties = StrictCharField(required=False, allow_blank=True, max_length=limits.LONG)
    min_staff = StrictIntegerField(required=False, allow_null=True, min_value=0)
    major = StrictBooleanField(required=False, default=False)
    summary = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.LONG)


class BoundarySerializer(serializers.Serializer):
    boundary = serializers.JSONField()
    major = StrictBooleanField(required=False, default=False)
    summary = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.LONG)


class AssignmentSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)
    person_unit = serializers.CharField(source="person.unit.name", read_only=True)
    role_label = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = GridAssignment
        fields = [
            "id",
            "grid",
            "role",
            "role_label",
            "person",
            "person_name",
            "person_unit",
            "duties",
            "started_at",
            "ended_at",
            "end_reason",
        ]
        read_only_fields = fields


class AssignInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=GridRole.choices)
    person = StrictIntegerField()
    duties = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.LONG)
    major = StrictBooleanField(required=False, default=False)
    summary = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.LONG)


class EndAssignmentSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=limits.LONG)
    major = StrictBooleanField(required=False, default=False)
    summary = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.LONG)


class HistorySerializer(serializers.Serializer):
    id = StrictIntegerField()
    kind = StrictCharField(max_length=limits.SHORT)
    kind_label = StrictCharField(source="get_kind_display", max_length=limits.LONG)
    summary = StrictCharField(max_length=limits.LONG)
    before = serializers.JSONField()
    after = serializers.JSONField()
    actor = StrictCharField(source="actor_repr", max_length=limits.LONG)
    at = serializers.DateTimeField()
    is_major = StrictBooleanField()
    entity_id = StrictIntegerField(allow_null=True)


class GapSerializer(serializers.Serializer):
    grid = StrictIntegerField(source="grid.pk")
    code = StrictCharField(source="grid.code", max_length=limits.SHORT)
    name = StrictCharField(source="grid.name", max_length=limits.SHORT)
    level = StrictIntegerField(source="grid.level")
    missing_roles = serializers.ListField(child=StrictCharField(max_length=limits.LONG))
    staff_count = StrictIntegerField()
    min_staff = StrictIntegerField()
    duties_missing = StrictBooleanField()
    problems = serializers.ListField(
        child=StrictCharField(max_length=limits.LONG), source="describe"
    )


class ImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(required=False, help_text="GeoJSON FeatureCollection file")
    geojson = serializers.JSONField(required=False, help_text="or the FeatureCollection inline")
    major = StrictBooleanField(required=False, default=False)
    summary = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.LONG)
    crs = StrictCharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="coordinate system when the file declares none: wgs84, cgcs2000, gcj02, bd09",
        max_length=limits.SHORT,
    )


class ResolveSerializer(serializers.Serializer):
    outside = StrictBooleanField()
    grid = GridSerializer(allow_null=True)
    chain = GridSerializer(many=True)
    wgs84 = serializers.DictField()
    rule = StrictCharField(max_length=limits.MEDIUM)


class ResolveManyInputSerializer(serializers.Serializer):
    points = serializers.ListField(
        child=serializers.ListField(child=StrictFloatField(), min_length=2, max_length=2),
        max_length=1_000_000,
    )
    crs = StrictCharField(required=False, default="wgs84", max_length=limits.SHORT)


class MajorAdjustmentSerializer(serializers.ModelSerializer):
    grid_code = serializers.CharField(source="grid.code", read_only=True)
    grid_name = serializers.CharField(source="grid.name", read_only=True)
    made_by_name = serializers.CharField(source="made_by.username", default=None, read_only=True)

    class Meta:
        model = MajorAdjustment
        fields = [
            "id",
            "grid",
            "grid_code",
            "grid_name",
            "kind",
            "summary",
            "before",
            "after",
            "made_by",
            "made_by_name",
            "made_at",
            "report_ref",
            "reported_at",
            "disclosure_ref",
            "disclosed_at",
        ]
        read_only_fields = fields


# ---------------------------------------------------------------------- helpers
def parse_crs(value: Any) -> str:
    try:
        return normalize_crs(value)
    except UnknownCRS:
        raise ApplicationError(
            _("未知的坐标系：%(v)s（可选 %(c)s）") % {"v": value, "c": ", ".join(CRS_CHOICES)},
            code="crs_unknown",
            fields={"crs": [_("无效")]},
        ) from None


def parse_point(lon: Any, lat: Any, crs: Any) -> tuple[float, float, str]:
    name = parse_crs(crs)
    errors = {}
    values = []
    for key, raw in (("lon", lon), ("lat", lat)):
        try:
            values.append(float(raw))
        except (TypeError, ValueError):
            errors[key] = [_("须为数字")]
    if errors:
        raise ApplicationError(_("经纬度须为数字。"), code="invalid", fields=errors)
    try:
        wlon, wlat = to_wgs84(values[0], values[1], name)
    except ValueError:
        raise ApplicationError(
            _("坐标超出范围（经度 ±180，纬度 ±90）。"), code="coordinate_out_of_range"
        ) from None
    return wlon, wlat, name


def person_for_roster(user: Any, grid: Grid, person_id: Any) -> Person:
    """A person the caller may name: one they can see, or one of a unit owning a grid on
    this grid's branch (a sub-district names its community people)."""
    person = Person.objects.select_related("unit").filter(pk=person_id).first()
    if person is None:
        raise NotFoundError(_("人员未找到"), fields={"person": [_("不存在")]})
    if person_policy.can_view(user, person):
        return person
    branch = grid.path_ids() if grid.path.endswith(f"/{grid.pk}/") else [grid.pk]
    related = Grid.objects.filter(
        Q(pk__in=branch) | Q(path__startswith=grid.path), owner_unit_id=person.unit_id
    )
    if related.exists():
        return person
    raise NotFoundError(_("人员未找到"), fields={"person": [_("不存在")]})


# ---------------------------------------------------------------------- views
class GridViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The grids the caller may see (a unit: its own subtree)."""

    policy = grid_policy
    queryset = Grid.objects.select_related("owner_unit", "parent").order_by("level", "code")
    serializer_class = GridSerializer
    filterset_fields = ["level", "parent", "owner_unit", "is_active", "code"]
    search_fields = ["code", "name"]
    ordering_fields = ["code", "level", "name"]

    def get_serializer_class(self) -> Any:
        if self.action == "retrieve":
            return GridDetailSerializer
        return super().get_serializer_class()

    @extend_schema(request=GridUpdateSerializer, responses=GridDetailSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        grid = self.get_object()
        ser = GridUpdateSerializer(data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        major = data.pop("major", False)
        summary = data.pop("summary", "")
        grid = services.grid_update(
            actor=request.user, grid=grid, major=major, summary=summary, **data
        )
        return Response(GridDetailSerializer(grid).data)

    @extend_schema(request=BoundarySerializer, responses=GridDetailSerializer)
    @action(detail=True, methods=["put", "post"])
    def boundary(self, request: Request, pk: Any = None) -> Response:
        grid = self.get_object()
        ser = BoundarySerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        grid = services.grid_set_boundary(
            actor=request.user,
            grid=grid,
            boundary=ser.validated_data["boundary"],
            major=ser.validated_data["major"],
            summary=ser.validated_data["summary"],
        )
        return Response(GridDetailSerializer(grid).data)

    @extend_schema(
        methods=["GET"], responses=AssignmentSerializer(many=True), description="当前人员"
    )
    @extend_schema(methods=["POST"], request=AssignInputSerializer, responses=AssignmentSerializer)
    @action(detail=True, methods=["get", "post"])
    def roster(self, request: Request, pk: Any = None) -> Response:
        grid = self.get_object()
        if request.method == "GET":
            return Response(AssignmentSerializer(roster(grid), many=True).data)
        ser = AssignInputSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = ser.validated_data
        assignment = services.grid_assign(
            actor=request.user,
            grid=grid,
            role=data["role"],
            person=person_for_roster(request.user, grid, data["person"]),
            duties=data["duties"],
            major=data["major"],
            summary=data["summary"],
        )
        return Response(AssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=HistorySerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: Any = None) -> Response:
        grid = self.get_object()
        page = self.paginate_queryset(grid_history(grid))
        return self.get_paginated_response(HistorySerializer(page, many=True).data)

    @extend_schema(responses={200: dict}, description="GeoJSON FeatureCollection (G1 export)")
    @action(detail=False, methods=["get"])
    def export(self, request: Request) -> Response:
        grids = self.get_queryset().filter(is_active=True)
        return Response(grid_export_geojson(grids))

    @extend_schema(
        request=ImportInputSerializer,
        responses={201: dict},
        description="All-or-nothing GeoJSON import; 400 lists every problem by feature.",
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[SafeJSONParser, MultiPartParser, FormParser],
    )
    def import_geojson(self, request: Request) -> Response:
        upload = request.FILES.get("file")
        form: Any = request.data
        crs = str(request.query_params.get("crs") or "")
        if upload is not None:
            data: Any = upload.read()
            major = str(form.get("major", "")).lower() in ("1", "true", "on")
            summary = str(form.get("summary", ""))
            crs = str(form.get("crs", "") or crs)
        elif isinstance(request.data, dict) and request.data.get("type") == "FeatureCollection":
            data, major, summary = dict(request.data), False, ""
        else:
            ser = ImportInputSerializer(data=request.data)
            ser.is_valid(raise_exception=True)
            if "geojson" not in ser.validated_data:
                raise ApplicationError(
                    _("请上传 GeoJSON 文件或提交 FeatureCollection。"),
                    code="invalid",
                    fields={"file": [_("必填")]},
                )
            data = ser.validated_data["geojson"]
            major, summary = ser.validated_data["major"], ser.validated_data["summary"]
            crs = ser.validated_data["crs"] or crs
        background = str(request.query_params.get("background", "")).lower()
        if background in ("1", "true") or (
            upload is not None and str(form.get("background", "")).lower() in ("1", "true", "on")
        ):
            # A long import as a job (core.jobs): 202, progress at /api/jobs/<id>/.
            from envgrid.core.jobs_api import job_started

            from .jobs import grid_import_job_start

            payload = data if isinstance(data, (bytes, bytearray)) else json.dumps(data).encode()
            if isinstance(payload, str):
                payload = payload.encode()
            return job_started(
                grid_import_job_start(
                    actor=request.user,
                    data=bytes(payload),
                    major=major,
                    summary=summary,
                    crs=crs or None,
                )
            )
        result = services.grid_import_geojson(
            actor=request.user, data=data, major=major, summary=summary, crs=crs or None
        )
        return Response(
            {
                "crs": result.crs,
                "created": [g.code for g in result.created],
                "updated": [g.code for g in result.updated],
                "unchanged": [g.code for g in result.unchanged],
            },
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(responses=GapSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)
    def gaps(self, request: Request) -> Response:
        return Response(GapSerializer(grid_gaps(user=request.user), many=True).data)


class AssignmentViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AssignmentSerializer

    def get_queryset(self) -> Any:
        return GridAssignment.objects.select_related("person", "person__unit", "grid").filter(
            grid__in=grid_list(user=self.request.user)
        )

    @extend_schema(request=EndAssignmentSerializer, responses=AssignmentSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: Any = None) -> Response:
        assignment = self.get_object()
        ser = EndAssignmentSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        assignment = services.grid_unassign(
            actor=request.user, assignment=assignment, **ser.validated_data
        )
        return Response(AssignmentSerializer(assignment).data)


class MajorAdjustmentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = MajorAdjustmentSerializer

    def get_queryset(self) -> Any:
        return major_adjustment_list(user=self.request.user)


def _result_payload(result: Any, lon: float, lat: float) -> dict[str, Any]:
    return {
        "outside": result.outside,
        "grid": GridSerializer(result.grid).data if result.grid else None,
        "chain": GridSerializer(result.chain, many=True).data,
        "wgs84": {"lon": lon, "lat": lat},
        "rule": RESOLUTION_RULE,
    }


class GridResolveView(APIView):
    """Point → lowest grid and its ancestors (G3). The point states its coordinate system."""

    @extend_schema(
        parameters=[
            OpenApiParameter("lon", float, required=True),
            OpenApiParameter("lat", float, required=True),
            OpenApiParameter("crs", str, enum=list(CRS_CHOICES), default="wgs84"),
        ],
        responses=ResolveSerializer,
    )
    def get(self, request: Request) -> Response:
        lon, lat, _crs = parse_point(
            request.query_params.get("lon"),
            request.query_params.get("lat"),
            request.query_params.get("crs"),
        )
        return Response(_result_payload(grid_resolve(lon, lat), lon, lat))


class GridResolveManyView(APIView):
    """Bulk resolution: one grid id (or null) per point, in order."""

    @extend_schema(request=ResolveManyInputSerializer, responses={200: dict})
    def post(self, request: Request) -> Response:
        crs = parse_crs(request.data.get("crs") if isinstance(request.data, dict) else None)
        ser = ResolveManyInputSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        pts = np.asarray(ser.validated_data["points"], dtype=np.float64).reshape(-1, 2)
        if crs != "wgs84":
            try:
                pts = np.asarray([to_wgs84(x, y, crs) for x, y in pts.tolist()]).reshape(-1, 2)
            except ValueError:
                raise ApplicationError(
                    _("坐标超出范围（经度 ±180，纬度 ±90）。"), code="coordinate_out_of_range"
                ) from None
        ids = grid_resolve_many(pts[:, 0], pts[:, 1])
        return Response(
            {"grids": [int(i) if i >= 0 else None for i in ids.tolist()], "rule": RESOLUTION_RULE}
        )
