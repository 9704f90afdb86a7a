"""REST API for joint meetings, decisions and task reports: parse, call one service, render.
Reads start from what the caller may see; an unseen object answers 404."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from envgrid.core import limits
from envgrid.core.documents import docx_response
from envgrid.core.errors import ApplicationError
from envgrid.core.params import maybe_id, query_year
from envgrid.core.serializer_fields import StrictBooleanField, StrictCharField, StrictIntegerField
from envgrid.org.policies import leading_group_policy, person_policy, unit_policy

from . import services
from .documents import minutes_document
from .models import (
    AgendaKind,
    Attendance,
    Decision,
    Meeting,
    MeetingScope,
    ProblemKind,
    ReportInterval,
    TaskReport,
    TaskReportSchedule,
)
from .policies import decision_policy
from .selectors import (
    decision_get,
    decision_list,
    decision_supervisions,
    link_resolve,
    meeting_get,
    meeting_list,
    task_report_list,
    task_report_schedule_list,
)

# ---- helpers ----------------------------------------------------------------


def _resolve(policy: Any, user: Any, pk: Any, field: str, label: str) -> Any:
    obj = policy.scope(user).filter(pk=pk).first() if pk not in (None, "") else None
    if obj is None:
        raise ApplicationError(
            _("%(label)s #%(pk)s 不存在或无权查看。") % {"label": label, "pk": pk},
            code=f"{field}_invalid",
            fields={field: [_("无效")]},
        )
    return obj


def _resolve_many(policy: Any, user: Any, pks: list[int], field: str, label: str) -> list[Any]:
    return [_resolve(policy, user, pk, field, label) for pk in pks]


class LinkSerializer(serializers.Serializer):
    type = StrictCharField(help_text="app_label.model, e.g. cases.case", max_length=limits.SHORT)
    id = StrictCharField(max_length=limits.SHORT)

    class Meta:
        ref_name = "MeetingLink"  # cases has a LinkSerializer too (schema names)


def _links(user: Any, data: list[dict[str, Any]]) -> list[Any]:
    return [link_resolve(user=user, type_label=d["type"], object_id=d["id"]) for d in data]


# ---- output serializers -----------------------------------------------------


class AgendaItemOut(serializers.Serializer):
    order = StrictIntegerField()
    kind = StrictCharField(max_length=limits.SHORT)
    kind_display = StrictCharField(source="get_kind_display", max_length=limits.LONG)
    problem_kind = StrictCharField(max_length=limits.SHORT)
    problem_kind_display = StrictCharField(
        source="get_problem_kind_display", max_length=limits.LONG
    )
    title = StrictCharField(max_length=limits.SHORT)
    description = StrictCharField(max_length=limits.LONG)
    link_type = serializers.SerializerMethodField()
    link_id = StrictCharField(max_length=limits.SHORT)
    link_repr = StrictCharField(max_length=limits.SHORT)

    def get_link_type(self, obj: Any) -> str:
        return f"{obj.link_type.app_label}.{obj.link_type.model}" if obj.link_type_id else ""


class ParticipantOut(serializers.Serializer):
    unit = StrictIntegerField(source="unit_id")
    unit_name = StrictCharField(source="unit.name", max_length=limits.SHORT)
    invited_as = StrictCharField(source="source", max_length=limits.LONG)
    source_note = StrictCharField(max_length=limits.SHORT)
    attendance = StrictCharField(max_length=limits.SHORT)
    attendance_display = StrictCharField(source="get_attendance_display", max_length=limits.LONG)
    attendee_name = StrictCharField(max_length=limits.SHORT)
    delegate_name = StrictCharField(max_length=limits.SHORT)
    absence_reason = StrictCharField(max_length=limits.LONG)
    recorded_at = serializers.DateTimeField(allow_null=True)


class MeetingOut(serializers.ModelSerializer):
    status = serializers.CharField(
        read_only=True, help_text="scheduled | held | minuted | cancelled"
    )
    scope_display = serializers.CharField(source="get_scope_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    leading_group_name = serializers.CharField(source="leading_group.name", read_only=True)
    convener_name = serializers.CharField(source="convener.name", read_only=True)
    organiser_unit_name = serializers.CharField(source="organiser_unit.name", read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "leading_group",
            "leading_group_name",
            "scope",
            "scope_display",
            "title",
            "starts_at",
            "place",
            "convener",
            "convener_name",
            "delegation",
            "organiser_unit",
            "organiser_unit_name",
            "status",
            "status_display",
            "minutes_number",
            "minutes_issued_at",
            "cancel_reason",
        ]


class MeetingDetailOut(MeetingOut):
    agenda = AgendaItemOut(many=True, read_only=True)
    participants = ParticipantOut(many=True, read_only=True)
    decisions = serializers.SerializerMethodField()

    class Meta(MeetingOut.Meta):
        fields = [*MeetingOut.Meta.fields, "minutes", "agenda", "participants", "decisions"]

    def get_decisions(self, obj: Meeting) -> list[dict[str, Any]]:
        user = self.context["request"].user
        visible = decision_policy.scope(user, obj.decisions.all()).order_by("seq")
        return [
            {"id": d.pk, "seq": d.seq, "status": d.status, "due_date": d.due_date.isoformat()}
            for d in visible
        ]


class DecisionOut(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True, help_text="open | reported | closed | withdrawn")
    meeting_title = serializers.CharField(source="meeting.title", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    is_overdue = StrictBooleanField(read_only=True, default=False)
    owners = serializers.SerializerMethodField()

    class Meta:
        model = Decision
        fields = [
            "id",
            "meeting",
            "meeting_title",
            "seq",
            "text",
            "due_date",
            "status",
            "status_display",
            "is_overdue",
            "owners",
            "verification_note",
            "closed_at",
            "withdraw_reason",
            "escalated_at",
        ]

    def get_owners(self, obj: Decision) -> list[dict[str, Any]]:
        return [
            {
                "unit": o.unit_id,
                "unit_name": o.unit.name,
                "reported_done_at": o.reported_done_at,
                "obligation": o.obligation_id,
                "obligation_status": o.obligation.status if o.obligation else "",
                "due_at": o.obligation.due_at if o.obligation else None,
            }
            for o in obj.owners.all()
        ]


class DecisionDetailOut(DecisionOut):
    progress = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()
    supervisions = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()

    class Meta(DecisionOut.Meta):
        fields = [*DecisionOut.Meta.fields, "progress", "links", "supervisions", "history"]

    def get_progress(self, obj: Decision) -> list[dict[str, Any]]:
        return [
            {
                "unit": p.unit_id,
                "unit_name": p.unit.name,
                "person": p.person.name if p.person else "",
                "at": p.at,
                "text": p.text,
                "is_completion": p.is_completion,
            }
            for p in obj.progress.select_related("unit", "person")
        ]

    def get_links(self, obj: Decision) -> list[dict[str, Any]]:
        return [
            {
                "type": f"{link.link_type.app_label}.{link.link_type.model}",
                "id": link.link_id,
                "repr": link.link_repr,
            }
            for link in obj.links.select_related("link_type")
        ]

    def get_supervisions(self, obj: Decision) -> list[dict[str, Any]]:
        return [
            {
                "id": s.pk,
                "number": s.number,
                "target": s.target_id,
                "target_name": s.target.name,
                "status": s.status,
                "issued_at": s.issued_at,
                "response_due_at": s.response_obligation.due_at if s.response_obligation else None,
                "response_status": s.response_obligation.status if s.response_obligation else "",
            }
            for s in decision_supervisions(obj)
        ]

    def get_history(self, obj: Decision) -> list[dict[str, Any]]:
        return [
            {"from": h.from_status, "to": h.to_status, "at": h.at, "note": h.note}
            for h in obj.history.all()
        ]


class TaskReportScheduleOut(serializers.ModelSerializer):
    interval_display = serializers.CharField(source="get_interval_display", read_only=True)

    class Meta:
        model = TaskReportSchedule
        fields = [
            "id",
            "leading_group",
            "title",
            "interval",
            "interval_display",
            "starts_on",
            "due_workdays",
            "units",
            "is_active",
        ]


class TaskReportOut(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    schedule_title = serializers.CharField(source="schedule.title", read_only=True)
    due_at = serializers.DateTimeField(source="obligation.due_at", read_only=True, default=None)
    provisional = StrictBooleanField(source="obligation.provisional", read_only=True, default=False)
    provisional_years = serializers.ListField(
        child=StrictIntegerField(),
        source="obligation.provisional_years",
        read_only=True,
        default=list,
    )
    late = serializers.SerializerMethodField()

    class Meta:
        model = TaskReport
        fields = [
            "id",
            "schedule",
            "schedule_title",
            "unit",
            "unit_name",
            "period_start",
            "period_end",
            "due_at",
            "provisional",
            "provisional_years",
            "content",
            "submitted_at",
            "late",
        ]

    def get_late(self, obj: TaskReport) -> bool:
        return bool(obj.obligation and obj.obligation.is_late)


# ---- input serializers ------------------------------------------------------


class AgendaItemIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AgendaKind.choices)
    problem_kind = serializers.ChoiceField(choices=ProblemKind.choices)
    title = StrictCharField(max_length=300)
    description = StrictCharField(
        required=False, allow_blank=True, default="", max_length=limits.LONG
    )
    link = LinkSerializer(required=False, allow_null=True)


class MeetingIn(serializers.Serializer):
    leading_group = StrictIntegerField()
    scope = serializers.ChoiceField(choices=MeetingScope.choices, default=MeetingScope.GROUP)
    title = StrictCharField(max_length=200)
    starts_at = serializers.DateTimeField()
    place = StrictCharField(max_length=200)
    convener = StrictIntegerField(required=False, allow_null=True)
    participants = serializers.ListField(
        child=StrictIntegerField(), required=False, allow_null=True
    )
    include_suggested = StrictBooleanField(default=True)
    # Empty is allowed here so the rule (M2: no meeting without an agenda) answers with
    # its own code and reason from the service.
    agenda = AgendaItemIn(many=True, required=False, default=list)


class AttendanceEntryIn(serializers.Serializer):
    unit = StrictIntegerField()
    attendance = serializers.ChoiceField(
        choices=[(a.value, a.label) for a in Attendance if a != Attendance.PENDING]
    )
    attendee_name = StrictCharField(
        required=False, allow_blank=True, default="", max_length=limits.SHORT
    )
    delegate_name = StrictCharField(
        required=False, allow_blank=True, default="", max_length=limits.SHORT
    )
    absence_reason = StrictCharField(
        required=False, allow_blank=True, default="", max_length=limits.LONG
    )


class AttendanceIn(serializers.Serializer):
    entries = AttendanceEntryIn(many=True)


class MinutesIn(serializers.Serializer):
    minutes = StrictCharField(allow_blank=True, max_length=limits.HUGE)


class ReasonIn(serializers.Serializer):
    reason = StrictCharField(allow_blank=True, max_length=limits.LONG)


class NoteIn(serializers.Serializer):
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.LONG)


class ParticipantIn(serializers.Serializer):
    unit = StrictIntegerField()
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=limits.LONG)


class SuggestIn(serializers.Serializer):
    links = LinkSerializer(many=True)


class SuggestionOut(serializers.Serializer):
    unit = StrictIntegerField()
    unit_name = StrictCharField(max_length=limits.SHORT)
    reason = StrictCharField(max_length=limits.LONG)


class DecisionIn(serializers.Serializer):
    meeting = StrictIntegerField()
    text = StrictCharField(allow_blank=True, max_length=limits.LONG)
    owners = serializers.ListField(child=StrictIntegerField(), required=False, default=list)
    due_date = serializers.DateField()
    links = LinkSerializer(many=True, required=False, default=list)


class ProgressIn(serializers.Serializer):
    text = StrictCharField(allow_blank=True, max_length=limits.LONG)
    completed = StrictBooleanField(default=False)


class RejectIn(serializers.Serializer):
    reason = StrictCharField(allow_blank=True, max_length=limits.LONG)
    due_date = serializers.DateField()


class ScheduleIn(serializers.Serializer):
    leading_group = StrictIntegerField()
    title = StrictCharField(max_length=200)
    interval = serializers.ChoiceField(choices=ReportInterval.choices)
    starts_on = serializers.DateField(required=False, allow_null=True)
    due_workdays = StrictIntegerField(required=False, allow_null=True)
    units = serializers.ListField(child=StrictIntegerField(), required=False, default=list)


class SubmitIn(serializers.Serializer):
    content = StrictCharField(allow_blank=True, max_length=limits.HUGE)


def _parse(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    s = serializer_class(data=request.data)
    s.is_valid(raise_exception=True)
    return dict(s.validated_data)


# ---- viewsets ---------------------------------------------------------------


class MeetingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Joint meetings (联席会议). Filters: year, scope, status, unit."""

    serializer_class = MeetingOut
    queryset = Meeting.objects.none()

    def get_queryset(self):
        p = self.request.query_params
        return meeting_list(
            user=self.request.user,
            year=query_year(p),
            scope=p.get("scope", ""),
            status=p.get("status", ""),
            unit_id=maybe_id(p.get("unit")),
        )

    def get_serializer_class(self):
        return MeetingDetailOut if self.action != "list" else MeetingOut

    def get_object(self) -> Meeting:
        return meeting_get(user=self.request.user, pk=self.kwargs["pk"])

    def _detail(self, meeting: Meeting, code: int = status.HTTP_200_OK) -> Response:
        meeting = meeting_get(user=self.request.user, pk=meeting.pk)
        return Response(
            MeetingDetailOut(meeting, context={"request": self.request}).data, status=code
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("year", int),
            OpenApiParameter("scope", str),
            OpenApiParameter("status", str),
            OpenApiParameter("unit", int),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=MeetingIn, responses={201: MeetingDetailOut})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = _parse(MeetingIn, request)
        user = request.user
        group = _resolve(
            leading_group_policy, user, data["leading_group"], "leading_group", _("领导小组")
        )
        convener = (
            _resolve(person_policy, user, data["convener"], "convener", _("召集人"))
            if data.get("convener")
            else None
        )
        participants = data.get("participants")
        units = (
            _resolve_many(unit_policy, user, participants, "participants", _("单位"))
            if participants is not None
            else None
        )
        agenda = [
            services.AgendaInput(
                kind=a["kind"],
                problem_kind=a["problem_kind"],
                title=a["title"],
                description=a.get("description", ""),
                link=_links(user, [a["link"]])[0] if a.get("link") else None,
            )
            for a in data["agenda"]
        ]
        meeting = services.meeting_schedule(
            actor=user,
            leading_group=group,
            scope=data["scope"],
            title=data["title"],
            starts_at=data["starts_at"],
            place=data["place"],
            convener=convener,
            participant_units=units,
            include_suggested=data["include_suggested"],
            agenda=agenda,
        )
        return self._detail(meeting, status.HTTP_201_CREATED)

    @extend_schema(request=SuggestIn, responses={200: SuggestionOut(many=True)})
    @action(detail=False, methods=["post"], url_path="suggest-participants", pagination_class=None)
    def suggest_participants(self, request: Request, **kwargs: Any) -> Response:
        """M3: units related to the objects an agenda would link to."""
        data = _parse(SuggestIn, request)
        items = [
            services.AgendaInput(kind="", problem_kind="", title=str(obj), link=obj)
            for obj in _links(request.user, data["links"])
        ]
        return Response(
            [
                {"unit": u.pk, "unit_name": u.name, "reason": reason}
                for u, reason in services.participant_suggestions(items)
            ]
        )

    @extend_schema(request=AttendanceIn, responses={200: MeetingDetailOut})
    @action(detail=True, methods=["post"])
    def attendance(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        data = _parse(AttendanceIn, request)
        meeting = self.get_object()
        services.meeting_attendance_record(
            actor=request.user,
            meeting=meeting,
            entries=[
                services.AttendanceInput(
                    unit_id=e["unit"],
                    attendance=e["attendance"],
                    attendee_name=e["attendee_name"],
                    delegate_name=e["delegate_name"],
                    absence_reason=e["absence_reason"],
                )
                for e in data["entries"]
            ],
        )
        return self._detail(meeting)

    @extend_schema(request=ParticipantIn, responses={201: MeetingDetailOut})
    @action(detail=True, methods=["post"])
    def participants(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        data = _parse(ParticipantIn, request)
        meeting = self.get_object()
        unit = _resolve(unit_policy, request.user, data["unit"], "unit", _("单位"))
        services.meeting_participant_add(
            actor=request.user, meeting=meeting, unit=unit, note=data["note"]
        )
        return self._detail(meeting, status.HTTP_201_CREATED)

    @extend_schema(request=NoteIn, responses={200: MeetingDetailOut})
    @action(detail=True, methods=["post"])
    def hold(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        data = _parse(NoteIn, request)
        meeting = services.meeting_hold(
            actor=request.user, meeting=self.get_object(), note=data["note"]
        )
        return self._detail(meeting)

    @extend_schema(request=MinutesIn, responses={200: MeetingDetailOut})
    @action(detail=True, methods=["post"])
    def minutes(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        data = _parse(MinutesIn, request)
        meeting = services.meeting_minutes_save(
            actor=request.user, meeting=self.get_object(), minutes=data["minutes"]
        )
        return self._detail(meeting)

    @extend_schema(request=None, responses={200: MeetingDetailOut})
    @action(detail=True, methods=["post"], url_path="issue-minutes")
    def issue_minutes(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        meeting = services.meeting_minutes_issue(actor=request.user, meeting=self.get_object())
        return self._detail(meeting)

    @extend_schema(request=ReasonIn, responses={200: MeetingDetailOut})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        data = _parse(ReasonIn, request)
        meeting = services.meeting_cancel(
            actor=request.user, meeting=self.get_object(), reason=data["reason"]
        )
        return self._detail(meeting)

    @extend_schema(request=None, responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="minutes-docx")
    def minutes_docx(self, request: Request, pk: Any = None) -> Any:
        meeting = self.get_object()
        name = meeting.minutes_number or f"会议纪要-{meeting.pk}"
        return docx_response(minutes_document(meeting), name)


class DecisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Decisions (决定事项) and their implementation. Filters: owner, status, overdue,
    meeting, year."""

    serializer_class = DecisionOut
    queryset = Decision.objects.none()

    def get_queryset(self):
        p = self.request.query_params
        overdue = p.get("overdue", "")
        return decision_list(
            user=self.request.user,
            owner_id=maybe_id(p.get("owner")),
            status=p.get("status", ""),
            overdue=True
            if overdue in ("1", "true")
            else False
            if overdue in ("0", "false")
            else None,
            meeting_id=maybe_id(p.get("meeting")),
            year=query_year(p),
        )

    def get_serializer_class(self):
        return DecisionDetailOut if self.action != "list" else DecisionOut

    def get_object(self) -> Decision:
        return decision_get(user=self.request.user, pk=self.kwargs["pk"])

    def _detail(self, decision: Decision, code: int = status.HTTP_200_OK) -> Response:
        decision = decision_get(user=self.request.user, pk=decision.pk)
        return Response(
            DecisionDetailOut(decision, context={"request": self.request}).data, status=code
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("owner", int),
            OpenApiParameter("status", str),
            OpenApiParameter("overdue", bool),
            OpenApiParameter("meeting", int),
            OpenApiParameter("year", int),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=DecisionIn, responses={201: DecisionDetailOut})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = _parse(DecisionIn, request)
        user = request.user
        meeting = meeting_get(user=user, pk=data["meeting"])
        owners = _resolve_many(unit_policy, user, data["owners"], "owners", _("承办单位"))
        decision = services.decision_create(
            actor=user,
            meeting=meeting,
            text=data["text"],
            owner_units=owners,
            due_date=data["due_date"],
            links=_links(user, data["links"]),
        )
        return self._detail(decision, status.HTTP_201_CREATED)

    @extend_schema(request=ProgressIn, responses={201: DecisionDetailOut})
    @action(detail=True, methods=["post"])
    def progress(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        data = _parse(ProgressIn, request)
        decision = self.get_object()
        services.decision_progress_report(
            actor=request.user, decision=decision, text=data["text"], completed=data["completed"]
        )
        return self._detail(decision, status.HTTP_201_CREATED)

    @extend_schema(request=NoteIn, responses={200: DecisionDetailOut})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        data = _parse(NoteIn, request)
        decision = services.decision_close(
            actor=request.user, decision=self.get_object(), note=data["note"]
        )
        return self._detail(decision)

    @extend_schema(request=RejectIn, responses={200: DecisionDetailOut})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        data = _parse(RejectIn, request)
        decision = services.decision_verify_reject(
            actor=request.user,
            decision=self.get_object(),
            reason=data["reason"],
            due_date=data["due_date"],
        )
        return self._detail(decision)

    @extend_schema(request=ReasonIn, responses={200: DecisionDetailOut})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        data = _parse(ReasonIn, request)
        decision = services.decision_withdraw(
            actor=request.user, decision=self.get_object(), reason=data["reason"]
        )
        return self._detail(decision)


class TaskReportScheduleViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """M6: the office's reporting intervals for member units' environmental tasks."""

    serializer_class = TaskReportScheduleOut
    queryset = TaskReportSchedule.objects.none()

    def get_queryset(self):
        return task_report_schedule_list(user=self.request.user)

    @extend_schema(request=ScheduleIn, responses={201: TaskReportScheduleOut})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = _parse(ScheduleIn, request)
        user = request.user
        group = _resolve(
            leading_group_policy, user, data["leading_group"], "leading_group", _("领导小组")
        )
        schedule = services.task_report_schedule_create(
            actor=user,
            leading_group=group,
            title=data["title"],
            interval=data["interval"],
            starts_on=data.get("starts_on"),
            due_workdays=data.get("due_workdays"),
            units=_resolve_many(unit_policy, user, data["units"], "units", _("单位")),
        )
        return Response(TaskReportScheduleOut(schedule).data, status=status.HTTP_201_CREATED)


class TaskReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """M6: each unit's periodic report of its environmental tasks. Filters: unit, status
    (pending/submitted/overdue), schedule."""

    serializer_class = TaskReportOut
    queryset = TaskReport.objects.none()

    def get_queryset(self):
        p = self.request.query_params
        return task_report_list(
            user=self.request.user,
            unit_id=maybe_id(p.get("unit")),
            status=p.get("status", ""),
            schedule_id=maybe_id(p.get("schedule")),
        )

    @extend_schema(request=SubmitIn, responses={200: TaskReportOut})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        data = _parse(SubmitIn, request)
        report = self.get_object()
        report = services.task_report_submit(
            actor=request.user, report=report, content=data["content"]
        )
        return Response(TaskReportOut(report).data)
