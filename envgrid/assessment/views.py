"""Staff pages for the annual assessment (Chinese UI). Each page handles its own form posts:
it parses, calls one service, and on a refused rule renders the page again with the reason
and the rule's 4xx status. Reads go through the policies first (unseen → 404)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, OuterRef, Q
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.errors import ApplicationError, NotFoundError
from envgrid.core.exports import xlsx_response
from envgrid.core.params import maybe_id, maybe_int, query_year
from envgrid.core.workflow import actions_available
from envgrid.obligations.services import obligations_for
from envgrid.org.policies import leading_group_policy
from envgrid.org.selectors import actor_for

from . import selectors, services
from .exports import ranking_xlsx, result_docx_file
from .indicators import metric_get, metrics
from .models import (
    Assessment,
    AssessmentStatus,
    EvaluationStatus,
    IndicatorCategory,
    IndicatorSource,
    ObjectionStatus,
    PlanStatus,
    UnitEvaluation,
    WhenEmpty,
)
from .policies import (
    assessment_policy,
    evaluation_policy,
    is_office_of,
    is_overseer_of,
    objection_policy,
    plan_policy,
)


def _int(value: Any) -> int:
    """A posted id; anything that is not one matches nothing (0), never a 500."""
    return maybe_id(value) or 0


def _render(
    request: HttpRequest, template: str, ctx: dict[str, Any], error: ApplicationError | None
) -> HttpResponse:
    ctx["error"] = error
    return render(request, template, ctx, status=error.status if error else 200)


def _office_groups(user: Any) -> Any:
    actor = actor_for(user)
    qs = leading_group_policy.scope(user)
    if actor.is_admin:
        return qs
    return qs.filter(pk__in=actor.office_group_ids)


# --- assessments --------------------------------------------------------------------------


@login_required
def assessment_list(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    items = list(selectors.assessment_list(user=request.user).order_by("-year", "leading_group"))
    own = {
        e.assessment_id: e
        for e in selectors.evaluation_list(user=request.user).filter(unit_id=actor.unit_id)
    }
    counts: dict[int, tuple[int, int]] = {
        row["assessment_id"]: (row["submitted"], row["units"])
        for row in UnitEvaluation.objects.filter(assessment__in=items)
        .values("assessment_id")
        .annotate(submitted=Count("id", filter=Q(submitted_at__isnull=False)), units=Count("id"))
        .order_by()
    }
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            _("年度考核"),
            [
                _("年度"),
                _("领导小组"),
                _("考核方案"),
                _("状态"),
                _("已提交自评"),
                _("被考核单位"),
                _("定档时间"),
                _("结果通报文号"),
            ],
            [
                [
                    a.year,
                    a.leading_group.name,
                    str(a.plan),
                    a.get_status_display(),
                    counts.get(a.pk, (0, 0))[0],
                    counts.get(a.pk, (0, 0))[1],
                    a.finalised_at,
                    a.document_number,
                ]
                for a in items
            ],
        )
    rows = [
        {
            "assessment": a,
            "submitted": counts.get(a.pk, (0, 0))[0],
            "units": counts.get(a.pk, (0, 0))[1],
            "own": own.get(a.pk),
            "is_office": is_office_of(request.user, a.leading_group_id),
        }
        for a in items
    ]
    error = None
    # A draft can open a year that has no assessment yet (a newer draft for a running year
    # is adopted from that assessment's page instead).
    draft_plans = (
        plan_policy.scope(request.user)
        .filter(status=PlanStatus.DRAFT, leading_group__in=_office_groups(request.user))
        .exclude(
            Exists(
                Assessment.objects.filter(
                    leading_group_id=OuterRef("leading_group_id"), year=OuterRef("year")
                )
            )
        )
        .select_related("leading_group")
    )
    if request.method == "POST":
        try:
            plan = selectors.plan_get(user=request.user, pk=request.POST.get("plan"))
            assessment = services.assessment_open(actor=request.user, plan=plan)
            messages.success(request, _("年度考核已启动，已通知各被考核单位提交自评。"))
            return redirect(assessment.get_absolute_url())
        except ApplicationError as exc:
            error = exc
    return _render(
        request,
        "assessment/list.html",
        {"rows": rows, "draft_plans": draft_plans, "can_open": draft_plans.exists()},
        error,
    )


def _evaluation_status_counts(board: list[selectors.BoardRow]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in board:
        out[r.evaluation.status] = out.get(r.evaluation.status, 0) + 1
    return out


@login_required
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = selectors.assessment_get(user=request.user, pk=pk)
    actor = actor_for(request.user)
    is_office = assessment_policy.can_change(request.user, assessment)
    overseer = is_office or is_overseer_of(request.user, assessment.leading_group_id)
    if not overseer:
        # A member unit's view of an assessment is its own evaluation.
        own = (
            selectors.evaluation_list(user=request.user, assessment=assessment)
            .filter(unit_id=actor.unit_id)
            .first()
        )
        if own is None:
            raise NotFoundError(_("年度考核未找到"))
        return redirect(own.get_absolute_url())
    error = None
    if request.method == "POST" and is_office:
        op = request.POST.get("op")
        try:
            if op == "review":
                services.assessment_review_start(actor=request.user, assessment=assessment)
                messages.success(request, _("已进入审核阶段。"))
            elif op == "finalise":
                services.assessment_finalise(actor=request.user, assessment=assessment)
                messages.success(request, _("考核结果已定档，已通知各单位。"))
            elif op == "adopt":
                plan = selectors.plan_get(user=request.user, pk=request.POST.get("plan"))
                services.assessment_adopt_plan(actor=request.user, assessment=assessment, plan=plan)
                messages.success(request, _("已改用新版本考核方案。"))
            else:
                raise ApplicationError(_("未知操作。"), code="invalid")
            return redirect(assessment.get_absolute_url())
        except ApplicationError as exc:
            error = exc
        assessment.refresh_from_db()
    board = selectors.scoreboard(assessment)
    newer_drafts = plan_policy.scope(request.user).filter(
        leading_group_id=assessment.leading_group_id,
        year=assessment.year,
        status=PlanStatus.DRAFT,
    )
    ctx = {
        "assessment": assessment,
        "board": board,
        "is_office": is_office,
        # The step buttons come from the workflow table and its policy (core.workflow).
        "steps": {t.action for t in actions_available(assessment, request.user) if t.who},
        "status_counts": _evaluation_status_counts(board),
        "drafts": sum(1 for r in board if r.evaluation.status == EvaluationStatus.DRAFT),
        # Switching versions is possible only before any unit has submitted.
        "newer_drafts": newer_drafts
        if is_office and not any(r.evaluation.submitted_at for r in board)
        else [],
        "events": assessment.events.filter(evaluation__isnull=True, objection__isnull=True),
        "pending_objections": objection_policy.scope(request.user).filter(
            evaluation__assessment=assessment, status=ObjectionStatus.PENDING
        ),
        "S": AssessmentStatus,
    }
    return _render(request, "assessment/detail.html", ctx, error)


@login_required
def ranking(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = selectors.assessment_get(user=request.user, pk=pk)
    rows = selectors.ranking(user=request.user, assessment=assessment)
    if request.GET.get("format") == "xlsx":
        return ranking_xlsx(assessment, rows)
    actor = actor_for(request.user)
    return render(
        request,
        "assessment/ranking.html",
        {
            "assessment": assessment,
            "rows": rows,
            "own_unit_id": actor.unit_id,
            "categories": IndicatorCategory,
        },
    )


# --- plans --------------------------------------------------------------------------------


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    plans = list(selectors.plan_list(user=request.user).prefetch_related("indicators"))
    groups = _office_groups(request.user)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            _("考核方案"),
            [_("年度"), _("版本"), _("名称"), _("领导小组"), _("状态"), _("指标数"), _("总分值")],
            [
                [
                    p.year,
                    p.version,
                    p.name,
                    p.leading_group.name,
                    p.get_status_display(),
                    len(p.indicators.all()),
                    float(sum((i.weight for i in p.indicators.all()), Decimal("0"))),
                ]
                for p in plans
            ],
        )
    error = None
    if request.method == "POST":
        try:
            group = groups.filter(pk=_int(request.POST.get("leading_group"))).first()
            if group is None:
                raise ApplicationError(
                    _("请选择领导小组。"), code="invalid", fields={"leading_group": [_("必填")]}
                )
            year = query_year(request.POST)
            if year is None:
                raise ApplicationError(
                    _("请填写考核年度。"), code="invalid", fields={"year": [_("必填")]}
                )
            copy_from = None
            if request.POST.get("copy_from"):
                copy_from = selectors.plan_get(user=request.user, pk=request.POST["copy_from"])
            plan = services.plan_create(
                actor=request.user,
                leading_group=group,
                year=year,
                name=request.POST.get("name", ""),
                copy_from=copy_from,
                with_defaults=True,
            )
            messages.success(request, _("考核方案草稿已建立。"))
            return redirect("assessment:plan", pk=plan.pk)
        except ApplicationError as exc:
            error = exc
    return _render(
        request,
        "assessment/plan_list.html",
        {
            "plans": plans,
            "groups": groups,
            "this_year": timezone.localdate().year,
        },
        error,
    )


def _indicator_data(post: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": post.get("code", "").strip(),
        "category": post.get("category", ""),
        "name": post.get("name", "").strip(),
        "scoring_rule": post.get("scoring_rule", ""),
        "source": post.get("source", ""),
        "metric": post.get("metric", ""),
        "when_empty": post.get("when_empty") or WhenEmpty.FULL,
        "requires_evidence": post.get("requires_evidence") == "on",
    }
    for field in ("weight", "full_at", "zero_at"):
        raw = (post.get(field) or "").strip()
        if raw:
            try:
                data[field] = Decimal(raw)
            except ArithmeticError:
                raise ApplicationError(
                    _("请填写数字。"), code="invalid", fields={field: [_("须为数字")]}
                ) from None
    if "weight" not in data:
        raise ApplicationError(_("请填写分值。"), code="invalid", fields={"weight": [_("必填")]})
    return data


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get(user=request.user, pk=pk)
    can_change = plan_policy.can_change(request.user, plan)
    error = None
    if request.method == "POST" and can_change:
        op = request.POST.get("op")
        try:
            if op == "rules":
                fields: dict[str, Any] = {
                    "name": request.POST.get("name", plan.name),
                    "note": request.POST.get("note", plan.note),
                }
                for f in (
                    "self_eval_workdays",
                    "objection_workdays",
                    "objection_decision_workdays",
                ):
                    value = maybe_int(request.POST.get(f, getattr(plan, f)), lo=0, hi=365)
                    if value is None:
                        raise ApplicationError(
                            _("请填写整数。"), code="invalid", fields={f: [_("须为整数")]}
                        )
                    fields[f] = value
                for f in ("grade_excellent", "grade_good", "grade_pass"):
                    try:
                        fields[f] = Decimal(request.POST.get(f, str(getattr(plan, f))))
                    except ArithmeticError:
                        raise ApplicationError(
                            _("请填写数字。"), code="invalid", fields={f: [_("须为数字")]}
                        ) from None
                services.plan_update(actor=request.user, plan=plan, **fields)
                messages.success(request, _("方案已保存。"))
            elif op == "add":
                services.indicator_create(
                    actor=request.user, plan=plan, **_indicator_data(request.POST)
                )
                messages.success(request, _("指标已添加。"))
            elif op == "edit":
                indicator = plan.indicators.filter(pk=_int(request.POST.get("indicator"))).first()
                if indicator is None:
                    raise NotFoundError(_("指标未找到"))
                services.indicator_update(
                    actor=request.user, indicator=indicator, **_indicator_data(request.POST)
                )
                messages.success(request, _("指标已保存。"))
            elif op == "delete":
                indicator = plan.indicators.filter(pk=_int(request.POST.get("indicator"))).first()
                if indicator is None:
                    raise NotFoundError(_("指标未找到"))
                services.indicator_delete(actor=request.user, indicator=indicator)
                messages.success(request, _("指标已删除。"))
            elif op == "new_version":
                new = services.plan_new_version(actor=request.user, plan=plan)
                messages.success(request, _("已建立新版本（草稿）。"))
                return redirect("assessment:plan", pk=new.pk)
            else:
                raise ApplicationError(_("未知操作。"), code="invalid")
            return redirect("assessment:plan", pk=plan.pk)
        except ApplicationError as exc:
            error = exc
        plan.refresh_from_db()
    indicators = selectors.plan_indicators(plan)
    for ind in indicators:
        m = metric_get(ind.metric) if ind.metric else None
        ind.metric_label = str(m.label) if m else ""  # type: ignore[attr-defined]
        ind.metric_missing = bool(ind.is_computed and m is None)  # type: ignore[attr-defined]
    return _render(
        request,
        "assessment/plan_detail.html",
        {
            "plan": plan,
            "indicators": indicators,
            "total_weight": sum((i.weight for i in indicators), Decimal("0")),
            "can_change": can_change,
            "editable": can_change and plan.status == PlanStatus.DRAFT,
            "metrics": metrics(),
            "categories": IndicatorCategory.choices,
            "sources": IndicatorSource.choices,
            "when_empty": WhenEmpty.choices,
            "edit_id": request.GET.get("edit"),
        },
        error,
    )


# --- one unit's evaluation ----------------------------------------------------------------


def _self_scores(post: Any, lines: list[Any]) -> dict[int, dict[str, Any]]:
    scores: dict[int, dict[str, Any]] = {}
    for ln in lines:
        key = f"score_{ln.indicator.pk}"
        if key in post:
            scores[ln.indicator.pk] = {
                "score": post.get(key, "").strip() or None,
                "note": post.get(f"note_{ln.indicator.pk}", ""),
            }
    return scores


@login_required
def evaluation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = selectors.evaluation_get(user=request.user, pk=pk)
    assessment = evaluation.assessment
    is_self = evaluation_policy.can_self_evaluate(request.user, evaluation)
    is_office = evaluation_policy.can_change(request.user, evaluation)
    error = None
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op in ("save", "submit"):
                lines = selectors.evaluation_lines(evaluation).lines
                services.evaluation_self_evaluate(
                    actor=request.user,
                    evaluation=evaluation,
                    summary=request.POST.get("summary"),
                    scores=_self_scores(request.POST, lines),
                )
                if op == "submit":
                    services.evaluation_submit(actor=request.user, evaluation=evaluation)
                    messages.success(request, _("自评已提交。"))
                else:
                    messages.success(request, _("自评已暂存。"))
            elif op == "evidence":
                indicator = None
                if request.POST.get("indicator"):
                    indicator = assessment.plan.indicators.filter(
                        pk=_int(request.POST.get("indicator"))
                    ).first()
                services.evidence_add(
                    actor=request.user,
                    evaluation=evaluation,
                    upload=request.FILES.get("file"),
                    indicator=indicator,
                    description=request.POST.get("description", ""),
                )
                messages.success(request, _("佐证材料已上传。"))
            elif op == "adjust":
                indicator = assessment.plan.indicators.filter(
                    pk=_int(request.POST.get("indicator"))
                ).first()
                if indicator is None:
                    raise NotFoundError(_("指标未找到"))
                services.score_adjust(
                    actor=request.user,
                    evaluation=evaluation,
                    indicator=indicator,
                    score=request.POST.get("score", ""),
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, _("评分已调整。"))
            elif op == "object":
                services.objection_file(
                    actor=request.user, evaluation=evaluation, reason=request.POST.get("reason", "")
                )
                messages.success(request, _("异议已提交，请等待领导小组办公室答复。"))
            elif op == "decide":
                objection = objection_policy.get_visible(
                    request.user,
                    request.POST.get("objection"),
                    objection_policy.scope(request.user).filter(evaluation=evaluation),
                )
                changes = []
                for ind in assessment.plan.indicators.all():
                    raw = (request.POST.get(f"adj_{ind.pk}") or "").strip()
                    if raw:
                        changes.append((ind, raw))
                services.objection_decide(
                    actor=request.user,
                    objection=objection,
                    upheld=request.POST.get("upheld") == "1",
                    decision=request.POST.get("decision", ""),
                    adjustments=changes,
                )
                messages.success(request, _("异议答复已记录。"))
            else:
                raise ApplicationError(_("未知操作。"), code="invalid")
            return redirect(evaluation.get_absolute_url())
        except ApplicationError as exc:
            error = exc
        evaluation = selectors.evaluation_get(user=request.user, pk=pk)
        assessment = evaluation.assessment
    row = selectors.evaluation_lines(evaluation)
    show_result = evaluation_policy.can_see_result(request.user, evaluation)
    evidence_by_ind: dict[int | None, list[Any]] = {}
    for ev_file in evaluation.evidence.select_related("indicator"):
        evidence_by_ind.setdefault(ev_file.indicator_id, []).append(ev_file)
    adjustments: dict[int, list[Any]] = {}
    if show_result:
        from .models import ScoreAdjustment

        for adj in ScoreAdjustment.objects.filter(score__evaluation=evaluation).select_related(
            "actor"
        ):
            adjustments.setdefault(adj.score_id, []).append(adj)
    for ln in row.lines:
        ln.evidence = evidence_by_ind.get(ln.indicator.pk, [])  # type: ignore[attr-defined]
        ln.adjustments = adjustments.get(ln.score_id or 0, [])  # type: ignore[attr-defined]
        m = metric_get(ln.indicator.metric) if ln.indicator.metric else None
        ln.metric_label = str(m.label) if m else ""  # type: ignore[attr-defined]
        ln.has_drilldown = bool(m and m.drilldown)  # type: ignore[attr-defined]
    obligation = obligations_for(evaluation, services.SELF_EVALUATION_KIND, live_only=False).first()
    editable = (
        is_self and evaluation.status == EvaluationStatus.DRAFT and not assessment.is_finalised
    )
    objections = list(
        evaluation.objections.select_related("evaluation__assessment").order_by("-filed_at")
    )
    ctx = {
        "evaluation": evaluation,
        "assessment": assessment,
        "row": row,
        "lines": row.lines,
        "show_result": show_result,
        "is_self": is_self,
        "is_office": is_office,
        "editable": editable,
        "reviewing": is_office and assessment.status == AssessmentStatus.REVIEWING,
        "obligation": obligation,
        "general_evidence": evidence_by_ind.get(None, []),
        "objections": objections,
        # Objections the viewer may answer now, from the workflow table and its policy.
        "decidable": {
            o.pk for o in objections if any(t.who for t in actions_available(o, request.user))
        },
        "can_object": is_self and assessment.objection_open(),
        "events": evaluation.events.select_related("actor"),
        "can_see_ranking": assessment_policy.can_see_ranking(request.user, assessment),
        "now": timezone.now(),
    }
    return _render(request, "assessment/evaluation.html", ctx, error)


@login_required
def drilldown(request: HttpRequest, pk: int, indicator_pk: int) -> HttpResponse:
    evaluation = selectors.evaluation_get(user=request.user, pk=pk)
    indicator, drill = selectors.indicator_drilldown(
        user=request.user, evaluation=evaluation, indicator_id=indicator_pk
    )
    if drill is None:
        raise NotFoundError(_("该指标没有可穿透的记录"))
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            f"{evaluation.unit.name}-{indicator.code}",
            [str(h) for h in drill.headers],
            [[c[0] if isinstance(c, tuple) else c for c in r] for r in drill.rows],
        )
    row = selectors.evaluation_lines(evaluation)
    line = next((ln for ln in row.lines if ln.indicator.pk == indicator.pk), None)
    cells = [
        [{"text": c[0], "url": c[1]} if isinstance(c, tuple) else {"text": c, "url": ""} for c in r]
        for r in drill.rows
    ]
    return render(
        request,
        "assessment/drilldown.html",
        {
            "evaluation": evaluation,
            "indicator": indicator,
            "drill": drill,
            "cells": cells,
            "line": line,
        },
    )


@login_required
def result_docx(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = selectors.evaluation_get(user=request.user, pk=pk)
    if not evaluation.assessment.is_finalised:
        raise NotFoundError(_("考核结果尚未定档"))
    return result_docx_file(evaluation)


@login_required
def evidence_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Served only to those who may see the evaluation; never by a public media URL."""
    evidence = selectors.evidence_list(user=request.user).filter(pk=pk).first()
    if evidence is None:
        raise NotFoundError(_("文件未找到"))
    try:
        handle = evidence.file.open("rb")
    except (FileNotFoundError, OSError):
        raise NotFoundError(_("文件未找到")) from None
    response = FileResponse(
        handle, as_attachment=True, filename=evidence.original_name, content_type=evidence.mime
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
