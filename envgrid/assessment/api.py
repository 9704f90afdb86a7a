"""REST API for the annual assessment: parse, call one service, render. Every read starts
from the caller's scope: an assessment, evaluation, plan, file or objection the caller may
not see answers 404."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from envgrid.core.api import ScopedQuerysetMixin
from envgrid.core.errors import ApplicationError, NotFoundError

from . import selectors, services
from .indicators import metrics
from .models import (
    Assessment,
    AssessmentPlan,
    EvidenceFile,
    IndicatorCategory,
    Objection,
    PlanIndicator,
    UnitEvaluation,
)
from .policies import (
    assessment_policy,
    evaluation_policy,
    evidence_policy,
    objection_policy,
    plan_policy,
)
from .scoring import ScoreLine
from .serializers import (
    AdjustmentResultSerializer,
    AdjustSerializer,
    AdoptPlanSerializer,
    AssessmentOpenSerializer,
    AssessmentSerializer,
    DrilldownSerializer,
    EvaluationDetailSerializer,
    EvaluationSerializer,
    EvidenceSerializer,
    EvidenceUploadSerializer,
    IndicatorSerializer,
    IndicatorWriteSerializer,
    MetricSerializer,
    ObjectionDecideSerializer,
    ObjectionFileSerializer,
    ObjectionSerializer,
    PlanCreateSerializer,
    PlanRulesSerializer,
    PlanSerializer,
    RankingRowSerializer,
    SelfEvaluationSerializer,
)


def _parse(serializer_class: Any, view: Any, *args: Any, **kwargs: Any) -> Any:
    serializer = serializer_class(*args, context=view.get_serializer_context(), **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def line_payload(line: ScoreLine, *, show_result: bool) -> dict[str, Any]:
    ind = line.indicator
    data: dict[str, Any] = {
        "indicator": ind.pk,
        "code": ind.code,
        "name": ind.name,
        "category": ind.category,
        "weight": ind.weight,
        "source": ind.source,
        "metric": ind.metric,
        "value": _s(line.metric.value) if line.metric else None,
        "numerator": line.metric.numerator if line.metric else None,
        "denominator": line.metric.denominator if line.metric else None,
        "metric_note": line.metric.note if line.metric else "",
        "computed_score": _s(line.computed_score),
        "self_score": _s(line.self_score),
        "self_note": line.self_note,
        "requires_evidence": ind.requires_evidence,
    }
    if show_result:
        data.update(
            office_score=_s(line.office_score),
            adjust_reason=line.adjust_reason,
            score=_s(line.effective),
        )
    return data


def ranking_payload(rows: list[selectors.BoardRow], *, final: bool) -> list[dict[str, Any]]:
    return [
        {
            "rank": r.rank,
            "evaluation": r.evaluation.pk,
            "unit": r.unit.pk,
            "unit_name": r.unit.name,
            "total": str(r.total),
            "percent": str(r.percent),
            "grade": r.grade,
            "grade_display": r.get_grade_display(),
            "establishment": str(r.by_category.get(IndicatorCategory.ESTABLISHMENT, Decimal("0"))),
            "operation": str(r.by_category.get(IndicatorCategory.OPERATION, Decimal("0"))),
            "final": final,
        }
        for r in rows
    ]


class MetricListView(APIView):
    """The registered indicator metrics (计算口径) a plan's computed indicators may use."""

    @extend_schema(responses=MetricSerializer(many=True))
    def get(self, request: Request) -> Response:
        data = [
            {
                "code": m.code,
                "label": str(m.label),
                "description": str(m.description),
                "kinds": list(m.kinds),
                "has_drilldown": m.drilldown is not None,
            }
            for m in metrics()
        ]
        return Response(MetricSerializer(data, many=True).data)


class PlanViewSet(
    ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """考核方案: versioned; a plan in use is never edited — make a new version."""

    policy = plan_policy
    queryset = AssessmentPlan.objects.select_related("leading_group").prefetch_related("indicators")
    serializer_class = PlanSerializer
    filterset_fields = ["leading_group", "year", "status"]
    ordering_fields = ["year", "version"]

    @extend_schema(request=PlanCreateSerializer, responses={201: PlanSerializer})
    def create(self, request: Request) -> Response:
        data = dict(_parse(PlanCreateSerializer, self, data=request.data))
        group = data.pop("leading_group")
        year = data.pop("year")
        plan = services.plan_create(
            actor=request.user,
            leading_group=group,
            year=year,
            name=data.pop("name", ""),
            copy_from=data.pop("copy_from", None),
            with_defaults=data.pop("with_defaults", True),
            **data,
        )
        return Response(self.get_serializer(plan).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PlanRulesSerializer, responses=PlanSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        plan = self.get_object()
        data = _parse(PlanRulesSerializer, self, data=request.data, partial=True)
        plan = services.plan_update(actor=request.user, plan=plan, **data)
        return Response(self.get_serializer(plan).data)

    @extend_schema(request=None, responses={201: PlanSerializer})
    @action(detail=True, methods=["post"], url_path="new-version")
    def new_version(self, request: Request, pk: Any = None) -> Response:
        plan = services.plan_new_version(actor=request.user, plan=self.get_object())
        return Response(self.get_serializer(plan).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=IndicatorWriteSerializer, responses={201: IndicatorSerializer})
    @action(detail=True, methods=["post"], url_path="indicators")
    def add_indicator(self, request: Request, pk: Any = None) -> Response:
        plan = self.get_object()
        data = _parse(IndicatorWriteSerializer, self, data=request.data)
        indicator = services.indicator_create(actor=request.user, plan=plan, **data)
        return Response(IndicatorSerializer(indicator).data, status=status.HTTP_201_CREATED)


class IndicatorViewSet(
    mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """One indicator of a plan; changed or removed only while its plan is a draft."""

    queryset = PlanIndicator.objects.select_related("plan")
    serializer_class = IndicatorSerializer

    def get_queryset(self):
        return PlanIndicator.objects.filter(
            plan__in=plan_policy.scope(self.request.user)
        ).select_related("plan", "plan__leading_group")

    @extend_schema(request=IndicatorWriteSerializer, responses=IndicatorSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        indicator = self.get_object()
        data = _parse(IndicatorWriteSerializer, self, data=request.data, partial=True)
        indicator = services.indicator_update(actor=request.user, indicator=indicator, **data)
        return Response(self.get_serializer(indicator).data)

    def destroy(self, request: Request, pk: Any = None) -> Response:
        services.indicator_delete(actor=request.user, indicator=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class AssessmentViewSet(
    ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """年度考核: opened by the office under a plan; review; finalise; ranking."""

    policy = assessment_policy
    queryset = Assessment.objects.select_related("leading_group", "plan")
    serializer_class = AssessmentSerializer
    filterset_fields = ["leading_group", "year", "status"]
    ordering_fields = ["year"]

    @extend_schema(request=AssessmentOpenSerializer, responses={201: AssessmentSerializer})
    def create(self, request: Request) -> Response:
        data = _parse(AssessmentOpenSerializer, self, data=request.data)
        plan = data["plan"]
        if not plan_policy.can_view(request.user, plan):
            raise NotFoundError("考核方案未找到")
        assessment = services.assessment_open(
            actor=request.user, plan=plan, unit_ids=data.get("unit_ids")
        )
        return Response(self.get_serializer(assessment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=AssessmentSerializer)
    @action(detail=True, methods=["post"], url_path="review")
    def review(self, request: Request, pk: Any = None) -> Response:
        assessment = services.assessment_review_start(
            actor=request.user, assessment=self.get_object()
        )
        return Response(self.get_serializer(assessment).data)

    @extend_schema(request=None, responses=AssessmentSerializer)
    @action(detail=True, methods=["post"], url_path="finalise")
    def finalise(self, request: Request, pk: Any = None) -> Response:
        assessment = services.assessment_finalise(actor=request.user, assessment=self.get_object())
        return Response(self.get_serializer(assessment).data)

    @extend_schema(request=AdoptPlanSerializer, responses=AssessmentSerializer)
    @action(detail=True, methods=["post"], url_path="adopt-plan")
    def adopt_plan(self, request: Request, pk: Any = None) -> Response:
        assessment = self.get_object()
        plan = _parse(AdoptPlanSerializer, self, data=request.data)["plan"]
        if not plan_policy.can_view(request.user, plan):
            raise NotFoundError("考核方案未找到")
        assessment = services.assessment_adopt_plan(
            actor=request.user, assessment=assessment, plan=plan
        )
        return Response(self.get_serializer(assessment).data)

    @extend_schema(request=None, responses=RankingRowSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="ranking")
    def ranking(self, request: Request, pk: Any = None) -> Response:
        """Final ranking; before finalisation the office and leaders see a provisional one."""
        assessment = self.get_object()
        rows = selectors.ranking(user=request.user, assessment=assessment)
        data = ranking_payload(rows, final=assessment.is_finalised)
        return Response(RankingRowSerializer(data, many=True).data)


class EvaluationViewSet(
    ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """单位考核: the unit's self-evaluation inside its work summary, the office's review."""

    policy = evaluation_policy
    queryset = UnitEvaluation.objects.select_related(
        "unit", "assessment", "assessment__plan", "assessment__leading_group"
    )
    serializer_class = EvaluationSerializer
    filterset_fields = ["assessment", "unit", "status"]
    ordering_fields = ["unit__code", "rank"]

    def _detail(self, evaluation: UnitEvaluation) -> Response:
        row = selectors.evaluation_lines(evaluation)
        show = evaluation_policy.can_see_result(self.request.user, evaluation)
        data = {
            "evaluation": EvaluationSerializer(evaluation).data,
            "lines": [line_payload(ln, show_result=show) for ln in row.lines],
            "total": str(row.total) if show else None,
            "max_total": str(row.max_total),
        }
        return Response(data)

    @extend_schema(responses=EvaluationDetailSerializer)
    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return self._detail(self.get_object())

    @extend_schema(request=SelfEvaluationSerializer, responses=EvaluationDetailSerializer)
    @action(detail=True, methods=["post"], url_path="self-evaluation")
    def self_evaluation(self, request: Request, pk: Any = None) -> Response:
        evaluation = self.get_object()
        data = _parse(SelfEvaluationSerializer, self, data=request.data)
        scores = {
            e["indicator"]: {"score": e["score"], **({"note": e["note"]} if "note" in e else {})}
            for e in data.get("scores", [])
        }
        evaluation = services.evaluation_self_evaluate(
            actor=request.user, evaluation=evaluation, summary=data.get("summary"), scores=scores
        )
        return self._detail(evaluation)

    @extend_schema(request=None, responses=EvaluationDetailSerializer)
    @action(detail=True, methods=["post"], url_path="submit")
    def submit(self, request: Request, pk: Any = None) -> Response:
        evaluation = services.evaluation_submit(actor=request.user, evaluation=self.get_object())
        return self._detail(evaluation)

    @extend_schema(request=AdjustSerializer, responses={201: AdjustmentResultSerializer})
    @action(detail=True, methods=["post"], url_path="adjust")
    def adjust(self, request: Request, pk: Any = None) -> Response:
        evaluation = self.get_object()
        data = _parse(AdjustSerializer, self, data=request.data)
        indicator = _indicator_of(evaluation, data["indicator"])
        adj = services.score_adjust(
            actor=request.user,
            evaluation=evaluation,
            indicator=indicator,
            score=data["score"],
            reason=data.get("reason", ""),
        )
        payload = {
            "id": adj.pk,
            "indicator": indicator.pk,
            "before": _s(adj.before),
            "after": str(adj.after),
            "reason": adj.reason,
        }
        return Response(AdjustmentResultSerializer(payload).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("indicator", OpenApiTypes.INT, required=True)],
        responses=DrilldownSerializer,
    )
    @action(detail=True, methods=["get"], url_path="drilldown")
    def drilldown(self, request: Request, pk: Any = None) -> Response:
        """The records behind one computed value (穿透查看)."""
        evaluation = self.get_object()
        indicator, drill = selectors.indicator_drilldown(
            user=request.user,
            evaluation=evaluation,
            indicator_id=request.query_params.get("indicator"),
        )
        rows = [
            [cell[0] if isinstance(cell, tuple) else cell for cell in row]
            for row in (drill.rows if drill else [])
        ]
        data = {
            "indicator": indicator.pk,
            "metric": indicator.metric,
            "description": drill.description if drill else "",
            "headers": [str(h) for h in (drill.headers if drill else [])],
            "rows": rows,
            "total": drill.total if drill else 0,
        }
        return Response(DrilldownSerializer(data).data)

    @extend_schema(request=EvidenceUploadSerializer, responses={201: EvidenceSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path="evidence",
        parser_classes=[MultiPartParser, FormParser],
    )
    def evidence(self, request: Request, pk: Any = None) -> Response:
        evaluation = self.get_object()
        data = _parse(EvidenceUploadSerializer, self, data=request.data)
        indicator = _indicator_of(evaluation, data["indicator"]) if data.get("indicator") else None
        evidence = services.evidence_add(
            actor=request.user,
            evaluation=evaluation,
            upload=data["file"],
            indicator=indicator,
            description=data.get("description", ""),
        )
        return Response(EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ObjectionFileSerializer, responses={201: ObjectionSerializer})
    @action(detail=True, methods=["post"], url_path="objections")
    def objections(self, request: Request, pk: Any = None) -> Response:
        evaluation = self.get_object()
        data = _parse(ObjectionFileSerializer, self, data=request.data)
        objection = services.objection_file(
            actor=request.user, evaluation=evaluation, reason=data.get("reason", "")
        )
        return Response(ObjectionSerializer(objection).data, status=status.HTTP_201_CREATED)


def _indicator_of(evaluation: UnitEvaluation, indicator_id: Any) -> PlanIndicator:
    try:
        return evaluation.assessment.plan.indicators.get(pk=int(indicator_id))
    except (PlanIndicator.DoesNotExist, ValueError, TypeError):
        raise ApplicationError(
            "指标不属于本考核方案", code="indicator_unknown", fields={"indicator": ["无效"]}
        ) from None


class EvidenceViewSet(
    ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """佐证材料 metadata; the file itself comes through the permission-checked download."""

    policy = evidence_policy
    queryset = EvidenceFile.objects.select_related("evaluation", "indicator")
    serializer_class = EvidenceSerializer
    filterset_fields = ["evaluation", "indicator"]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="download")
    def download(self, request: Request, pk: Any = None) -> FileResponse:
        """The file itself, to whoever may see its evaluation (token clients included)."""
        evidence = self.get_object()
        try:
            handle = evidence.file.open("rb")
        except OSError:
            raise NotFoundError("文件未找到") from None
        response = FileResponse(
            handle, as_attachment=True, filename=evidence.original_name, content_type=evidence.mime
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


class ObjectionViewSet(
    ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """考核异议: filed by the unit within the window, decided by the office."""

    policy = objection_policy
    queryset = Objection.objects.select_related("evaluation__unit", "evaluation__assessment")
    serializer_class = ObjectionSerializer
    filterset_fields = ["evaluation", "status"]

    @extend_schema(request=ObjectionDecideSerializer, responses=ObjectionSerializer)
    @action(detail=True, methods=["post"], url_path="decide")
    def decide(self, request: Request, pk: Any = None) -> Response:
        objection = self.get_object()
        data = _parse(ObjectionDecideSerializer, self, data=request.data)
        adjustments = [
            (_indicator_of(objection.evaluation, a["indicator"]), a["score"])
            for a in data.get("adjustments", [])
        ]
        objection = services.objection_decide(
            actor=request.user,
            objection=objection,
            upheld=data["upheld"],
            decision=data.get("decision", ""),
            adjustments=adjustments,
        )
        return Response(self.get_serializer(objection).data)
