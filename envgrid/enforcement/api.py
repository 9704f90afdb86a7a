"""REST API of joint enforcement: parse, call one service, render. Every read starts
from what the caller may see; an action (or anything in it) outside that answers 404."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
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
from envgrid.core.deadlines import DeadlineRule
from envgrid.core.documents import DOCX_MIME
from envgrid.core.errors import ApplicationError, PermissionDeniedError
from envgrid.core.exports import XLSX_MIME
from envgrid.core.params import query_year
from envgrid.core.parsers import SafeJSONParser
from envgrid.org.models import Unit
from envgrid.org.selectors import actor_for

from . import rules as enforcement_rules
from . import selectors, services
from .documents import plan_docx, summary_xlsx
from .models import (
    ActionOfficer,
    ActionParticipant,
    ActionTarget,
    Assignment,
    Consultation,
    EnforcementAction,
    Finding,
    Inspection,
)
from .policies import (
    action_policy,
    assignment_policy,
    consultation_policy,
    finding_policy,
    inspection_policy,
    officer_policy,
    participant_policy,
    target_policy,
)
from .serializers import (
    EnfAckStatsSerializer,
    EnfActionCreateSerializer,
    EnfActionListSerializer,
    EnfActionSerializer,
    EnfActionUpdateSerializer,
    EnfAssignmentSerializer,
    EnfConsultationCreateSerializer,
    EnfConsultationSerializer,
    EnfDutiesSerializer,
    EnfFindingCreateSerializer,
    EnfFindingSerializer,
    EnfInspectionCreateSerializer,
    EnfInspectionSerializer,
    EnfLiaisonInSerializer,
    EnfMoveSerializer,
    EnfNoteSerializer,
    EnfOfficerSerializer,
    EnfParticipantInSerializer,
    EnfParticipantSerializer,
    EnfPersonInSerializer,
    EnfPhotoSerializer,
    EnfPhotosInSerializer,
    EnfReasonSerializer,
    EnfReportSerializer,
    EnfSummarySerializer,
    EnfSuperviseSerializer,
    EnfTargetInSerializer,
    EnfTargetSerializer,
)


class _Base(ScopedQuerysetMixin, viewsets.GenericViewSet):
    def _in(self, serializer_class: Any, data: Any = None, **kw: Any) -> Any:
        serializer = serializer_class(
            data=self.request.data if data is None else data,
            context=self.get_serializer_context(),
            **kw,
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _out(self, obj: Any, serializer_class: Any = None, code: int = 200) -> Response:
        cls = serializer_class or self.get_serializer_class()
        return Response(cls(obj, context=self.get_serializer_context()).data, status=code)


_ACTION_FILTERS = [
    OpenApiParameter("status", str),
    OpenApiParameter("category", str),
    OpenApiParameter("mode", str),
    OpenApiParameter("year", int),
    OpenApiParameter("q", str),
]


class ActionViewSet(_Base, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Joint enforcement actions (联合执法行动) and their plans (E1–E6)."""

    policy = action_policy
    queryset = EnforcementAction.objects.select_related(
        "organiser_unit", "approved_by"
    ).prefetch_related(
        "participants__officers__person",
        "participants__unit",
        "participants__liaison",
        "targets__entity",
        "targets__grid",
        "targets__supervision",
        "consultations__units",
        "consultations__recorded_by",
        "status_changes__actor",
    )
    serializer_class = EnfActionSerializer
    ordering_fields = ["start_date", "end_date", "status", "id"]
    search_fields = ["title", "number"]

    def get_serializer_class(self) -> Any:
        return EnfActionListSerializer if self.action == "list" else EnfActionSerializer

    def get_queryset(self) -> QuerySet:
        qs = super().get_queryset()
        if self.action != "list":
            return qs
        p = self.request.query_params
        year = query_year(p)
        for key in ("status", "category", "mode"):
            if p.get(key):
                qs = qs.filter(**{key: p[key]})
        if year is not None:
            qs = qs.filter(start_date__year=year)
        return qs.order_by("-start_date", "-id")

    @extend_schema(parameters=_ACTION_FILTERS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def _fresh(self) -> EnforcementAction:
        return self.get_object()

    @extend_schema(request=EnfActionCreateSerializer, responses={201: EnfActionSerializer})
    def create(self, request: Request) -> Response:
        d = dict(self._in(EnfActionCreateSerializer))
        targets = [services.TargetSpec(**t) for t in d.pop("targets")]
        participants = [services.ParticipantSpec(**p) for p in d.pop("participants", [])]
        kind, amount = d.pop("ack_rule_kind", None), d.pop("ack_rule_amount", None)
        rule = None
        if kind is not None or amount is not None:
            default = enforcement_rules.ack_rule_default()
            rule = DeadlineRule(kind or default.kind, default.amount if amount is None else amount)
        created = services.action_create(
            actor=request.user, targets=targets, participants=participants, ack_rule=rule, **d
        )
        return self._out(self.get_queryset().get(pk=created.pk), code=status.HTTP_201_CREATED)

    @extend_schema(request=EnfActionUpdateSerializer, responses=EnfActionSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        obj = self._fresh()
        data = self._in(EnfActionUpdateSerializer, partial=True)
        services.action_update(actor=request.user, action=obj, **data)
        return self._out(self._fresh())

    @extend_schema(request=EnfNoteSerializer, responses=EnfActionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        obj = self._fresh()
        services.action_approve(actor=request.user, action=obj, **self._in(EnfNoteSerializer))
        return self._out(self._fresh())

    @extend_schema(request=EnfNoteSerializer, responses=EnfActionSerializer)
    @action(detail=True, methods=["post"])
    def deploy(self, request: Request, pk: Any = None) -> Response:
        obj = self._fresh()
        services.action_deploy(actor=request.user, action=obj, **self._in(EnfNoteSerializer))
        return self._out(self._fresh())

    @extend_schema(request=EnfNoteSerializer, responses=EnfActionSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: Any = None) -> Response:
        obj = self._fresh()
        services.action_start(actor=request.user, action=obj, **self._in(EnfNoteSerializer))
        return self._out(self._fresh())

    @extend_schema(request=EnfSummarySerializer, responses=EnfActionSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: Any = None) -> Response:
        obj = self._fresh()
        services.action_complete(actor=request.user, action=obj, **self._in(EnfSummarySerializer))
        return self._out(self._fresh())

    @extend_schema(request=EnfReasonSerializer, responses=EnfActionSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: Any = None) -> Response:
        obj = self._fresh()
        services.action_cancel(actor=request.user, action=obj, **self._in(EnfReasonSerializer))
        return self._out(self._fresh())

    @extend_schema(request=EnfParticipantInSerializer, responses={201: EnfParticipantSerializer})
    @action(detail=True, methods=["post"])
    def participants(self, request: Request, pk: Any = None) -> Response:
        obj = self._fresh()
        d = self._in(EnfParticipantInSerializer)
        p = services.participant_add(actor=request.user, action=obj, **d)
        return self._out(p, EnfParticipantSerializer, status.HTTP_201_CREATED)

    @extend_schema(request=EnfTargetInSerializer, responses={201: EnfTargetSerializer})
    @action(detail=True, methods=["post"])
    def targets(self, request: Request, pk: Any = None) -> Response:
        obj = self._fresh()
        spec = services.TargetSpec(**self._in(EnfTargetInSerializer))
        t = services.target_add(actor=request.user, action=obj, spec=spec)
        return self._out(t, EnfTargetSerializer, status.HTTP_201_CREATED)

    @extend_schema(request=EnfPersonInSerializer, responses={201: EnfOfficerSerializer})
    @action(detail=True, methods=["post"])
    def officers(self, request: Request, pk: Any = None) -> Response:
        obj = self._fresh()
        person = self._in(EnfPersonInSerializer)["person"]
        officer = services.officer_assign(actor=request.user, action=obj, person=person)
        return self._out(officer, EnfOfficerSerializer, status.HTTP_201_CREATED)

    @extend_schema(responses={(200, DOCX_MIME): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="plan-docx")
    def plan_docx(self, request: Request, pk: Any = None) -> HttpResponse:
        from envgrid.core.documents import docx_response

        obj = self._fresh()
        return docx_response(plan_docx(obj), f"{obj.number or obj.title}-行动方案")

    @extend_schema(responses={(200, XLSX_MIME): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="summary-xlsx")
    def summary_xlsx(self, request: Request, pk: Any = None) -> HttpResponse:
        obj = self._fresh()
        response = HttpResponse(summary_xlsx(obj), content_type=XLSX_MIME)
        response["Content-Disposition"] = f'attachment; filename="action-{obj.pk}-summary.xlsx"'
        return response


class ParticipantViewSet(_Base, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Participating units: division of labour (职责分工) and the one liaison (E5)."""

    policy = participant_policy
    queryset = ActionParticipant.objects.select_related("unit", "liaison", "action")
    serializer_class = EnfParticipantSerializer
    filterset_fields = ["action", "unit", "role"]

    @extend_schema(request=EnfDutiesSerializer, responses=EnfParticipantSerializer)
    @action(detail=True, methods=["post"])
    def duties(self, request: Request, pk: Any = None) -> Response:
        p = self.get_object()
        services.participant_set_duties(
            actor=request.user, participant=p, **self._in(EnfDutiesSerializer)
        )
        return self._out(self.get_object())

    @extend_schema(request=EnfLiaisonInSerializer, responses=EnfParticipantSerializer)
    @action(detail=True, methods=["post"])
    def liaison(self, request: Request, pk: Any = None) -> Response:
        p = self.get_object()
        d = self._in(EnfLiaisonInSerializer)
        if d["replace"]:
            services.liaison_replace(
                actor=request.user, participant=p, person=d["person"], reason=d["reason"]
            )
        else:
            services.liaison_assign(actor=request.user, participant=p, person=d["person"])
        return self._out(self.get_object())

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: Any = None) -> Response:
        services.participant_remove(actor=request.user, participant=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class TargetViewSet(_Base, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    policy = target_policy
    queryset = ActionTarget.objects.select_related("entity", "grid", "supervision", "action")
    serializer_class = EnfTargetSerializer
    filterset_fields = ["action", "is_key"]

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: Any = None) -> Response:
        services.target_remove(actor=request.user, target=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class OfficerViewSet(_Base, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    policy = officer_policy
    queryset = ActionOfficer.objects.select_related("person", "participant", "action")
    serializer_class = EnfOfficerSerializer
    filterset_fields = ["action"]

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: Any = None) -> Response:
        services.officer_remove(actor=request.user, officer=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConsultationViewSet(_Base, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Consultations among the participating units (积极沟通会商, E5): recorded, never
    edited or deleted; a cross-department action needs them before approval."""

    policy = consultation_policy
    queryset = Consultation.objects.select_related("action", "recorded_by").prefetch_related(
        "units"
    )
    serializer_class = EnfConsultationSerializer
    filterset_fields = ["action", "form"]

    @extend_schema(
        request=EnfConsultationCreateSerializer, responses={201: EnfConsultationSerializer}
    )
    def create(self, request: Request) -> Response:
        d = dict(self._in(EnfConsultationCreateSerializer))
        action_obj = action_policy.get_visible(request.user, d.pop("action"))
        unit_ids = set(d.pop("units"))
        units = list(Unit.objects.filter(pk__in=unit_ids))
        if len(units) != len(unit_ids):
            raise ApplicationError(
                _("参加单位不存在。"),
                code="invalid",
                fields={"units": sorted(unit_ids - {u.pk for u in units})},
            )
        consultation = services.consultation_record(
            actor=request.user, action=action_obj, units=units, **d
        )
        return self._out(consultation, code=status.HTTP_201_CREATED)


class AssignmentViewSet(_Base, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Assignments to lower grids (E4): acknowledge, then report completion. There is no
    way to decline: `decline` and `move` to an unlisted status answer 400."""

    policy = assignment_policy
    queryset = Assignment.objects.select_related("action", "unit", "ack_obligation")
    serializer_class = EnfAssignmentSerializer
    filterset_fields = ["action", "unit", "status"]
    ordering_fields = ["issued_at", "ack_due_at"]

    @extend_schema(request=EnfNoteSerializer, responses=EnfAssignmentSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: Any = None) -> Response:
        a = self.get_object()
        services.assignment_acknowledge(
            actor=request.user, assignment=a, **self._in(EnfNoteSerializer)
        )
        return self._out(self.get_object())

    @extend_schema(request=EnfReportSerializer, responses=EnfAssignmentSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: Any = None) -> Response:
        a = self.get_object()
        services.assignment_complete(
            actor=request.user, assignment=a, **self._in(EnfReportSerializer)
        )
        return self._out(self.get_object())

    @extend_schema(request=EnfNoteSerializer, responses={400: None})
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: Any = None) -> Response:
        """Always refused (E4: 下级网格不得推诿和回避); kept so the refusal has a reason."""
        a = self.get_object()
        services.assignment_move(
            actor=request.user, assignment=a, to="declined", **self._in(EnfNoteSerializer)
        )
        return self._out(self.get_object())  # pragma: no cover - the table has no such move

    @extend_schema(request=EnfMoveSerializer, responses=EnfAssignmentSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: Any = None) -> Response:
        a = self.get_object()
        services.assignment_move(actor=request.user, assignment=a, **self._in(EnfMoveSerializer))
        return self._out(self.get_object())


class InspectionViewSet(_Base, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """On-site inspections with content-checked photos (multipart) and findings."""

    policy = inspection_policy
    queryset = Inspection.objects.select_related("entity", "action").prefetch_related(
        "officers", "photos", "findings__entity", "findings__supervision"
    )
    serializer_class = EnfInspectionSerializer
    filterset_fields = ["action", "entity"]
    parser_classes = [SafeJSONParser, MultiPartParser, FormParser]

    def _payload(self, request: Request) -> dict[str, Any]:
        data: Any = request.data
        if not hasattr(data, "getlist"):
            return dict(data)
        out: dict[str, Any] = {k: data.get(k) for k in data if k not in ("officers", "photos")}
        out["officers"] = data.getlist("officers")
        out["photos"] = request.FILES.getlist("photos")
        if isinstance(out.get("findings"), str):
            try:
                out["findings"] = json.loads(out["findings"] or "[]")
            except ValueError:
                raise ApplicationError(
                    _("findings 须为 JSON 数组。"), code="invalid", fields={"findings": ["JSON"]}
                ) from None
        return out

    @extend_schema(request=EnfInspectionCreateSerializer, responses={201: EnfInspectionSerializer})
    def create(self, request: Request) -> Response:
        d = self._in(EnfInspectionCreateSerializer, data=self._payload(request))
        act = action_policy.get_visible(request.user, d["action"])
        entity = (
            Inspection._meta.get_field("entity")
            .related_model._default_manager.filter(pk=d["entity"])
            .first()
        )
        if entity is None:
            raise ApplicationError(
                _("监管对象不存在。"), code="invalid", fields={"entity": [_("不存在")]}
            )
        officers = list(act.officers.filter(pk__in=d["officers"]).select_related("person"))
        if len(officers) != len(set(d["officers"])):
            raise ApplicationError(
                _("检查人员须为本次行动的执法人员。"),
                code="officer_not_in_action",
                fields={"officers": [_("不属于本次行动")]},
            )
        inspection = services.inspection_create(
            actor=request.user,
            action=act,
            entity=entity,
            inspected_at=d["inspected_at"],
            officers=officers,
            summary=d["summary"],
            place=d["place"],
            photos=d["photos"],
            findings=[services.FindingSpec(**f) for f in d["findings"]],
        )
        return self._out(self.get_queryset().get(pk=inspection.pk), code=201)

    @extend_schema(request=EnfPhotosInSerializer, responses={201: EnfPhotoSerializer(many=True)})
    @action(detail=True, methods=["post"])
    def photos(self, request: Request, pk: Any = None) -> Response:
        inspection = self.get_object()
        rows = services.photo_add(
            actor=request.user, inspection=inspection, photos=request.FILES.getlist("photos")
        )
        return Response(EnfPhotoSerializer(rows, many=True).data, status=201)


class FindingViewSet(_Base, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Findings: each becomes a case in one step (`case`), key ones are supervised."""

    policy = finding_policy
    queryset = Finding.objects.select_related("entity", "action", "supervision")
    serializer_class = EnfFindingSerializer
    filterset_fields = ["action", "status", "is_key"]

    @extend_schema(request=EnfFindingCreateSerializer, responses={201: EnfFindingSerializer})
    def create(self, request: Request) -> Response:
        d = dict(self._in(EnfFindingCreateSerializer))
        inspection = inspection_policy.get_visible(request.user, d.pop("inspection"))
        photo_ids = d.pop("photos", None)
        photos = list(inspection.photos.filter(pk__in=photo_ids)) if photo_ids is not None else None
        finding = services.finding_create(
            actor=request.user,
            inspection=inspection,
            spec=services.FindingSpec(**d),
            photos=photos,
        )
        return self._out(finding, code=201)

    @extend_schema(request=None, responses=EnfFindingSerializer)
    @action(detail=True, methods=["post"])
    def case(self, request: Request, pk: Any = None) -> Response:
        services.finding_to_case(actor=request.user, finding=self.get_object())
        return self._out(self.get_object())

    @extend_schema(request=EnfSuperviseSerializer, responses=EnfFindingSerializer)
    @action(detail=True, methods=["post"])
    def supervise(self, request: Request, pk: Any = None) -> Response:
        f = self.get_object()
        services.finding_supervise(
            actor=request.user, finding=f, **self._in(EnfSuperviseSerializer)
        )
        return self._out(self.get_object())


class AckStatsView(APIView):
    """E4 data for assessment: per unit and year, assignments received, acknowledged on
    time, late (including silence past the deadline), pending. Overseers see their
    groups' units; a unit sees its own line."""

    @extend_schema(
        parameters=[OpenApiParameter("year", int, required=False)],
        responses=EnfAckStatsSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        actor = actor_for(request.user)
        year = query_year(request.query_params, current_if_absent=True)
        assert year is not None
        if actor.is_admin:
            units = None
        elif actor.person is not None:
            units = actor.visible_unit_ids()
        else:
            raise PermissionDeniedError(_("当前账号未关联人员。"))
        stats = selectors.assignment_ack_stats(year=year, unit_ids=units)
        names = dict(Unit.objects.filter(pk__in=list(stats)).values_list("id", "name"))
        rows = [
            {
                "unit": uid,
                "unit_name": names.get(uid, ""),
                "year": year,
                **s.counts,
                "late_assignments": s.late,
            }
            for uid, s in sorted(stats.items())
        ]
        return Response(EnfAckStatsSerializer(rows, many=True).data)
