"""Supervised entity API (G4): list/filter, create and edit with a stated coordinate
system, .xlsx import jobs with progress."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from envgrid.core import limits
from envgrid.core.exports import XLSX_MIME
from envgrid.core.serializer_fields import (
    StrictBooleanField,
    StrictCharField,
    StrictFloatField,
    StrictIntegerField,
)
from envgrid.grids.coords import CRS_CHOICES

from . import services
from .models import EntityCategory, EntityImportJob, EntityStatus, SupervisedEntity
from .selectors import entity_list


class EntitySerializer(serializers.ModelSerializer):
    grid_code = serializers.CharField(source="grid.code", default=None, read_only=True)
    grid_name = serializers.CharField(source="grid.name", default=None, read_only=True)
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = SupervisedEntity
        fields = [
            "id",
            "name",
            "uscc",
            "address",
            "lon",
            "lat",
            "input_crs",
            "input_lon",
            "input_lat",
            "category",
            "category_label",
            "industry",
            "status",
            "status_label",
            "grid",
            "grid_code",
            "grid_name",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class EntityInputSerializer(serializers.Serializer):
    """Shape only; the rules (USCC checksum, CRS, point inside a grid) are the service's."""

    name = StrictCharField(max_length=200)
    uscc = StrictCharField(max_length=30, required=False, allow_blank=True)
    address = StrictCharField(max_length=300, required=False, allow_blank=True)
    lon = StrictFloatField()
    lat = StrictFloatField()
    crs = StrictCharField(
        required=False, default="wgs84", help_text=", ".join(CRS_CHOICES), max_length=limits.SHORT
    )
    category = serializers.ChoiceField(choices=EntityCategory.choices, required=False)
    industry = StrictCharField(max_length=100, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=EntityStatus.choices, required=False)


class ImportJobSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    percent = StrictIntegerField(read_only=True)
    finished = StrictBooleanField(read_only=True)

    class Meta:
        model = EntityImportJob
        fields = [
            "id",
            "filename",
            "status",
            "status_label",
            "total_rows",
            "processed_rows",
            "written_rows",
            "percent",
            "finished",
            "created_count",
            "errors",
            "message",
            "attempts",
            "created_at",
            "started_at",
            "heartbeat_at",
            "finished_at",
        ]
        read_only_fields = fields


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    crs = StrictCharField(required=False, default="wgs84", max_length=limits.SHORT)


class EntityViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = EntitySerializer
    search_fields = ["name", "uscc", "address"]
    ordering_fields = ["name", "created_at"]

    def get_queryset(self) -> Any:
        return entity_list(user=self.request.user, filters=self.request.query_params)

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str),
            OpenApiParameter("grid", int, description="a grid id: its whole subtree"),
            OpenApiParameter("category", str, enum=EntityCategory.values),
            OpenApiParameter("status", str, enum=EntityStatus.values),
            OpenApiParameter("industry", str),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=EntityInputSerializer, responses={201: EntitySerializer})
    def create(self, request: Request) -> Response:
        ser = EntityInputSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        entity = services.entity_create(actor=request.user, **ser.validated_data)
        return Response(EntitySerializer(entity).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EntityInputSerializer, responses=EntitySerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        entity = self.get_object()
        ser = EntityInputSerializer(data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        body: Any = request.data
        if "crs" in body:
            data["crs"] = body["crs"]
        else:
            data.pop("crs", None)
        entity = services.entity_update(actor=request.user, entity=entity, **data)
        return Response(EntitySerializer(entity).data)

    @extend_schema(request=ImportUploadSerializer, responses={202: ImportJobSerializer})
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_xlsx(self, request: Request) -> Response:
        ser = ImportUploadSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        upload = ser.validated_data["file"]
        job = services.import_job_create(
            actor=request.user,
            filename=upload.name,
            content=upload.read(),
            default_crs=ser.validated_data["crs"],
        )
        services.import_job_start(job)
        job.refresh_from_db()
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, XLSX_MIME): bytes})
    @action(detail=False, methods=["get"], url_path="import-template")
    def import_template(self, request: Request) -> HttpResponse:
        response = HttpResponse(services.import_template_bytes(), content_type=XLSX_MIME)
        response["Content-Disposition"] = "attachment; filename=entity-import-template.xlsx"
        return response


class ImportJobViewSet(mixins.RetrieveModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Import jobs of the caller (administrators: all); the page polls one of them."""

    serializer_class = ImportJobSerializer

    def get_queryset(self) -> Any:
        qs = EntityImportJob.objects.defer("content")
        user = self.request.user
        if getattr(user, "is_superuser", False):
            return qs
        return qs.filter(created_by_id=user.pk)

    @extend_schema(request=None, responses={202: ImportJobSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        """Run a failed job again (its owner): queued afresh, from a clean start."""
        job = services.import_job_retry(actor=request.user, job=self.get_object())
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: ImportJobSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Cancel a queued or running job (its owner): a running attempt rolls back."""
        job = services.import_job_cancel(actor=request.user, job=self.get_object())
        return Response(ImportJobSerializer(job).data)
