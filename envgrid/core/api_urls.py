"""/api/calendar/…: the working-day calendar (the token endpoint is the security app's).

The calendar endpoints let an administrator add or correct a year of the State Council
holiday notice and let anyone signed in ask what a rule's deadline is, so the effect of
a correction can be seen at once. Shapes live here because core has no other API.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from envgrid.core import limits
from envgrid.core.serializer_fields import StrictBooleanField, StrictCharField, StrictIntegerField

from .calendar import WorkCalendar
from .deadlines import DeadlineRule, RuleKind, compute_due
from .errors import NotFoundError
from .models import CalendarDay, CalendarYear
from .services import calendar_year_save


class CalendarDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    kind = serializers.ChoiceField(choices=CalendarDay.Kind.choices)
    name = StrictCharField(max_length=100, required=False, allow_blank=True, default="")


class CalendarYearSerializer(serializers.Serializer):
    year = StrictIntegerField(min_value=1949, max_value=2200)
    notice_ref = StrictCharField(max_length=200)
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.LONG)
    # False records a placeholder (deadlines in it are answered as 暂定); entering the
    # State Council notice is official (the default).
    official = StrictBooleanField(required=False, default=True)
    days = CalendarDaySerializer(many=True)


class CalendarYearPutSerializer(CalendarYearSerializer):
    year = StrictIntegerField(read_only=True)


def _year_data(record: CalendarYear) -> dict[str, Any]:
    return {
        "year": record.year,
        "notice_ref": record.notice_ref,
        "note": record.note,
        "official": record.official,
        "updated_at": record.updated_at,
        "days": [
            {"date": d.date, "kind": d.kind, "name": d.name} for d in record.days.order_by("date")
        ],
    }


class CalendarYearOutSerializer(CalendarYearSerializer):
    updated_at = serializers.DateTimeField()


class AdministratorsWrite(BasePermission):
    """Anyone signed in reads the calendar; only administrators change it. Checked before
    the input is parsed, so a refused caller learns nothing from validation messages."""

    message = _("只有系统管理员可以维护工作日历。")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or bool(user.is_superuser)


class CalendarYearListView(APIView):
    """Years recorded by administrators (they override the packaged State Council data)."""

    permission_classes = [AdministratorsWrite]

    @extend_schema(
        operation_id="calendar_years_list",
        responses=inline_serializer(
            "CalendarYears",
            {
                "known_years": serializers.ListField(child=StrictIntegerField()),
                "recorded": CalendarYearOutSerializer(many=True),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        recorded = [_year_data(y) for y in CalendarYear.objects.prefetch_related("days")]
        return Response(
            {
                "known_years": sorted(WorkCalendar().known_years()),
                "recorded": CalendarYearOutSerializer(recorded, many=True).data,
            }
        )

    @extend_schema(request=CalendarYearSerializer, responses={201: CalendarYearOutSerializer})
    def post(self, request: Request) -> Response:
        """Add a year (administrators). A year already recorded answers 409: use PUT."""
        s = CalendarYearSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        record = calendar_year_save(actor=request.user, replace=False, **s.validated_data)
        return Response(CalendarYearOutSerializer(_year_data(record)).data, status.HTTP_201_CREATED)


class CalendarYearDetailView(APIView):
    permission_classes = [AdministratorsWrite]

    @extend_schema(responses=CalendarYearOutSerializer)
    def get(self, request: Request, year: int) -> Response:
        record = CalendarYear.objects.filter(year=year).first()
        if record is None:
            raise NotFoundError(str(_("该年度没有管理员录入的日历。")))
        return Response(CalendarYearOutSerializer(_year_data(record)).data)

    @extend_schema(request=CalendarYearPutSerializer, responses=CalendarYearOutSerializer)
    def put(self, request: Request, year: int) -> Response:
        """Correct (or add) a year: the days sent replace the days recorded (administrators)."""
        s = CalendarYearPutSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        record = calendar_year_save(actor=request.user, year=year, **s.validated_data)
        return Response(CalendarYearOutSerializer(_year_data(record)).data)


class DeadlineQuerySerializer(serializers.Serializer):
    start = serializers.DateField()
    amount = StrictIntegerField(min_value=0, max_value=3650)
    kind = serializers.ChoiceField(choices=RuleKind.choices, default=RuleKind.WORKDAYS)


class DeadlineView(APIView):
    """What a rule's due time is when it starts on a day, by the current calendar."""

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, required=True),
            OpenApiParameter("amount", OpenApiTypes.INT, required=True),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=RuleKind.values),
        ],
        responses=inline_serializer(
            "DeadlineAnswer",
            {
                "start": serializers.DateField(),
                "rule": StrictCharField(max_length=limits.LONG),
                "due_date": serializers.DateField(),
                "due_at": serializers.DateTimeField(),
                "provisional": StrictBooleanField(),
                "provisional_years": serializers.ListField(child=StrictIntegerField()),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        s = DeadlineQuerySerializer(data=request.query_params)
        s.is_valid(raise_exception=True)
        start: dt.date = s.validated_data["start"]
        rule = DeadlineRule(s.validated_data["kind"], s.validated_data["amount"])
        # Day rules count from the start day whatever the hour; hour rules from its midnight.
        tz = timezone.get_current_timezone()
        calendar = WorkCalendar()
        due_at = compute_due(
            rule, dt.datetime.combine(start, dt.time(0, 0), tzinfo=tz), calendar=calendar
        )
        # A year recorded as a placeholder (not the State Council notice) makes the answer
        # provisional: say so, with the year, instead of answering as if it were law.
        provisional_years = (
            calendar.provisional_in(start, due_at.date()) if rule.kind == RuleKind.WORKDAYS else []
        )
        return Response(
            {
                "start": start,
                "rule": rule.describe(),
                "due_date": due_at.date(),
                "due_at": due_at,
                "provisional": bool(provisional_years),
                "provisional_years": provisional_years,
            }
        )


urlpatterns = [
    path("calendar/years/", CalendarYearListView.as_view(), name="calendar-year-list"),
    path(
        "calendar/years/<int:year>/", CalendarYearDetailView.as_view(), name="calendar-year-detail"
    ),
    path("calendar/deadline/", DeadlineView.as_view(), name="calendar-deadline"),
]

from .jobs_api import JobCancelView, JobDetailView, JobListView, JobRetryView  # noqa: E402

urlpatterns += [
    path("jobs/", JobListView.as_view(), name="job-list"),
    path("jobs/<int:pk>/", JobDetailView.as_view(), name="job-detail"),
    path("jobs/<int:pk>/retry/", JobRetryView.as_view(), name="job-retry"),
    path("jobs/<int:pk>/cancel/", JobCancelView.as_view(), name="job-cancel"),
]
