"""Annual assessment of member units (SPEC A1–A3): versioned plans of weighted indicators,
one assessment per leading group and year, each unit's self-evaluation inside its work
summary, the office's review (adjustments only with a reason), ranking, grades and
objections."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from envgrid.core import limits
from envgrid.core.models import StoredFile, TimeStampedModel
from envgrid.core.workflow import StatusHistory


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    IN_USE = "in_use", _("使用中")
    RETIRED = "retired", _("已停用")


class AssessmentPlan(TimeStampedModel):
    """考核方案: one leading group's indicators for one year, in versions. Once a plan is
    adopted by an assessment it is frozen; a change is a new version (A2)."""

    leading_group = models.ForeignKey(
        "org.LeadingGroup",
        verbose_name=_("领导小组"),
        on_delete=models.PROTECT,
        related_name="assessment_plans",
    )
    year = models.PositiveSmallIntegerField(_("考核年度"))
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    name = models.CharField(_("方案名称"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    based_on = models.ForeignKey(
        "self",
        verbose_name=_("来源版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The rule's numbers are data with defaults (STYLE rule 5).
    self_eval_workdays = models.PositiveSmallIntegerField(
        _("自评提交时限（工作日）"), default=15, validators=[MinValueValidator(1)]
    )
    objection_workdays = models.PositiveSmallIntegerField(
        _("异议期（工作日）"), default=5, validators=[MinValueValidator(1)]
    )
    objection_decision_workdays = models.PositiveSmallIntegerField(
        _("异议答复时限（工作日）"), default=10, validators=[MinValueValidator(1)]
    )
    # Grade thresholds, as a percentage of the plan's total weight.
    grade_excellent = models.DecimalField(
        _("优秀线（%）"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("90"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    grade_good = models.DecimalField(
        _("良好线（%）"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("80"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    grade_pass = models.DecimalField(
        _("合格线（%）"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("60"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    note = models.TextField(_("说明"), max_length=limits.LONG, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-year", "leading_group_id", "-version"]
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")
        constraints = [
            models.UniqueConstraint(
                fields=["leading_group", "year", "version"], name="assess_plan_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(grade_excellent__gte=F("grade_good"))
                & Q(grade_good__gte=F("grade_pass")),
                name="assess_plan_grades_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.year}年 第{self.version}版）"

    @property
    def is_editable(self) -> bool:
        return self.status == PlanStatus.DRAFT


class IndicatorCategory(models.TextChoices):
    ESTABLISHMENT = "establishment", _("体系建立情况")
    OPERATION = "operation", _("体系运行情况")


class IndicatorSource(models.TextChoices):
    COMPUTED = "computed", _("系统计算")
    REVIEW = "review", _("审核评分")


class WhenEmpty(models.TextChoices):
    FULL = "full", _("无应办事项得满分")
    ZERO = "zero", _("无应办事项不得分")


class PlanIndicator(models.Model):
    """One weighted indicator. Computed ones read a registered metric (a rate 0–1) and
    score it linearly between `zero_at` and `full_at`; review ones are scored by the
    office from the unit's self-score and evidence."""

    plan = models.ForeignKey(
        AssessmentPlan,
        verbose_name=_("考核方案"),
        on_delete=models.CASCADE,
        related_name="indicators",
    )
    code = models.CharField(_("指标编号"), max_length=20)
    category = models.CharField(_("类别"), max_length=20, choices=IndicatorCategory.choices)
    name = models.CharField(_("指标"), max_length=200)
    scoring_rule = models.TextField(_("评分细则"), max_length=limits.LONG, blank=True)
    weight = models.DecimalField(
        _("分值"), max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    source = models.CharField(_("评分方式"), max_length=10, choices=IndicatorSource.choices)
    metric = models.CharField(_("计算口径"), max_length=60, blank=True)
    full_at = models.DecimalField(
        _("满分比率"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("1"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    zero_at = models.DecimalField(
        _("零分比率"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    when_empty = models.CharField(
        _("无应办事项时"), max_length=5, choices=WhenEmpty.choices, default=WhenEmpty.FULL
    )
    requires_evidence = models.BooleanField(_("须提交佐证材料"), default=False)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["plan_id", "order", "id"]
        verbose_name = _("考核指标")
        verbose_name_plural = _("考核指标")
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="assess_indicator_code_unique"),
            models.CheckConstraint(
                condition=Q(full_at__gt=F("zero_at")), name="assess_indicator_band_ordered"
            ),
            models.CheckConstraint(
                condition=Q(source="review") | ~Q(metric=""),
                name="assess_indicator_computed_has_metric",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_computed(self) -> bool:
        return self.source == IndicatorSource.COMPUTED


class AssessmentStatus(models.TextChoices):
    SELF_EVALUATION = "self_evaluation", _("自评中")
    REVIEWING = "reviewing", _("审核中")
    FINALISED = "finalised", _("已定档")


class Assessment(TimeStampedModel):
    """The annual assessment of one leading group's member units (A2: the leading group
    assesses, its office runs it)."""

    leading_group = models.ForeignKey(
        "org.LeadingGroup",
        verbose_name=_("领导小组"),
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    year = models.PositiveSmallIntegerField(_("考核年度"))
    plan = models.ForeignKey(
        AssessmentPlan, verbose_name=_("考核方案"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=AssessmentStatus.choices,
        default=AssessmentStatus.SELF_EVALUATION,
    )
    opened_at = models.DateTimeField(_("启动时间"), default=timezone.now)
    review_started_at = models.DateTimeField(_("开始审核时间"), null=True, blank=True)
    finalised_at = models.DateTimeField(_("定档时间"), null=True, blank=True)
    objection_deadline = models.DateTimeField(_("异议截止时间"), null=True, blank=True)
    document_number = models.CharField(_("结果通报文号"), max_length=60, blank=True)

    class Meta:
        ordering = ["-year", "leading_group_id"]
        verbose_name = _("年度考核")
        verbose_name_plural = _("年度考核")
        constraints = [
            models.UniqueConstraint(fields=["leading_group", "year"], name="assess_group_year")
        ]

    def __str__(self) -> str:
        return f"{self.leading_group.name} {self.year}年度考核"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("assessment:detail", args=[self.pk])

    @property
    def is_finalised(self) -> bool:
        return self.status == AssessmentStatus.FINALISED

    @property
    def provisional_years(self) -> list[int]:
        """Placeholder calendar years the objection deadline was counted across: the
        deadline is provisional (暂定) while any is not an official notice (issue 15, part 5)."""
        if not (self.finalised_at and self.objection_deadline):
            return []
        from envgrid.core.calendar import WorkCalendar
        from envgrid.core.deadlines import local_date

        return WorkCalendar().provisional_in(
            local_date(self.finalised_at), local_date(self.objection_deadline)
        )

    def objection_open(self, now=None) -> bool:
        now = now or timezone.now()
        return bool(
            self.is_finalised and self.objection_deadline and now <= self.objection_deadline
        )


class EvaluationStatus(models.TextChoices):
    DRAFT = "draft", _("自评填报中")
    SUBMITTED = "submitted", _("已提交自评")
    FINALISED = "finalised", _("已定档")


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    GOOD = "good", _("良好")
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")


class UnitEvaluation(TimeStampedModel):
    """One member unit inside one assessment: its work summary with its self-scores (A3),
    and after finalisation its total, rank and grade."""

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("年度考核"), on_delete=models.PROTECT, related_name="evaluations"
    )
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("被考核单位"),
        on_delete=models.PROTECT,
        related_name="assessment_evaluations",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=EvaluationStatus.choices, default=EvaluationStatus.DRAFT
    )
    summary = models.TextField(_("年度工作总结"), max_length=limits.HUGE, blank=True)
    self_total = models.DecimalField(
        _("自评总分"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    submitted_at = models.DateTimeField(_("自评提交时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    total = models.DecimalField(
        _("考核得分"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    percent = models.DecimalField(
        _("得分率（%）"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    rank = models.PositiveSmallIntegerField(_("名次"), null=True, blank=True)
    grade = models.CharField(_("等次"), max_length=10, choices=Grade.choices, blank=True)

    class Meta:
        ordering = ["assessment_id", "rank", "unit__code"]
        verbose_name = _("单位考核")
        verbose_name_plural = _("单位考核")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "unit"], name="assess_eval_unit_unique")
        ]

    def __str__(self) -> str:
        return f"{self.unit.name} · {self.assessment.year}年度考核"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("assessment:evaluation", args=[self.pk])


class IndicatorScore(models.Model):
    """A unit's score on one indicator. The self-score is the unit's; `office_score` is
    set only by an adjustment with a written reason; the computed figures and the final
    score are frozen at finalisation so the result never drifts with later records."""

    evaluation = models.ForeignKey(
        UnitEvaluation, verbose_name=_("单位考核"), on_delete=models.CASCADE, related_name="scores"
    )
    indicator = models.ForeignKey(
        PlanIndicator, verbose_name=_("指标"), on_delete=models.PROTECT, related_name="+"
    )
    self_score = models.DecimalField(
        _("自评分"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    self_note = models.TextField(_("自评说明"), max_length=limits.LONG, blank=True)
    office_score = models.DecimalField(
        _("审核调整分"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    adjust_reason = models.TextField(_("调整理由"), max_length=limits.LONG, blank=True)
    computed_value = models.DecimalField(
        _("计算值"), max_digits=7, decimal_places=4, null=True, blank=True
    )
    numerator = models.PositiveIntegerField(_("达标数"), null=True, blank=True)
    denominator = models.PositiveIntegerField(_("应办数"), null=True, blank=True)
    computed_score = models.DecimalField(
        _("计算得分"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    final_score = models.DecimalField(
        _("最终得分"), max_digits=6, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["evaluation_id", "indicator__order", "indicator_id"]
        verbose_name = _("指标得分")
        verbose_name_plural = _("指标得分")
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "indicator"], name="assess_score_indicator_unique"
            ),
            models.CheckConstraint(
                condition=Q(office_score__isnull=True) | ~Q(adjust_reason=""),
                name="assess_score_adjust_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.evaluation_id}/{self.indicator_id}"


class ScoreAdjustment(models.Model):
    """Append-only: every change the office makes to a score, with its written reason."""

    score = models.ForeignKey(
        IndicatorScore,
        verbose_name=_("指标得分"),
        on_delete=models.CASCADE,
        related_name="adjustments",
    )
    before = models.DecimalField(_("调整前"), max_digits=6, decimal_places=2, null=True)
    after = models.DecimalField(_("调整后"), max_digits=6, decimal_places=2)
    reason = models.TextField(_("调整理由"), max_length=limits.LONG)
    objection = models.ForeignKey(
        "Objection",
        verbose_name=_("所涉异议"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="adjustments",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("评分调整")
        verbose_name_plural = _("评分调整")
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="assess_adjustment_has_reason")
        ]

    def __str__(self) -> str:
        return f"{self.score_id}: {self.before} → {self.after}"


def evidence_upload_to(instance: EvidenceFile, filename: str) -> str:
    # The stored name is ours (never the client's): no path tricks, no overwrites.
    import uuid

    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"assessment/evidence/{instance.evaluation.assessment_id}/{uuid.uuid4().hex}.{ext}"


class EvidenceFile(StoredFile):
    """佐证材料: content-checked upload kept under MEDIA_ROOT, served only through a view
    that checks the caller may see the evaluation."""

    evaluation = models.ForeignKey(
        UnitEvaluation,
        verbose_name=_("单位考核"),
        on_delete=models.PROTECT,
        related_name="evidence",
    )
    indicator = models.ForeignKey(
        PlanIndicator,
        verbose_name=_("指标"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    file = models.FileField(_("文件"), upload_to=evidence_upload_to, max_length=300)
    mime = models.CharField(_("文件类型"), max_length=120)
    size = models.PositiveIntegerField(_("大小"))
    description = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")


class ObjectionStatus(models.TextChoices):
    PENDING = "pending", _("待答复")
    UPHELD = "upheld", _("异议成立")
    REJECTED = "rejected", _("维持原结果")


class Objection(models.Model):
    """A unit's objection to its result, filed within the window; the office decides."""

    evaluation = models.ForeignKey(
        UnitEvaluation,
        verbose_name=_("单位考核"),
        on_delete=models.PROTECT,
        related_name="objections",
    )
    reason = models.TextField(_("异议理由"), max_length=limits.LONG)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    filed_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    status = models.CharField(
        _("状态"), max_length=10, choices=ObjectionStatus.choices, default=ObjectionStatus.PENDING
    )
    decision = models.TextField(_("答复意见"), max_length=limits.LONG, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("答复人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    total_before = models.DecimalField(
        _("原得分"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    total_after = models.DecimalField(
        _("答复后得分"), max_digits=7, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["-filed_at"]
        verbose_name = _("考核异议")
        verbose_name_plural = _("考核异议")
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation"],
                condition=Q(status="pending"),
                name="assess_one_pending_objection",
            )
        ]

    def __str__(self) -> str:
        return f"{self.evaluation} · {self.get_status_display()}"


EVENT_LABELS = {
    "assessment.review_start": _("进入审核"),
    "assessment.finalise": _("定档"),
    "assessment.evaluation.submit": _("提交自评"),
    "assessment.evaluation.finalise": _("结果定档"),
    "assessment.objection.uphold": _("异议成立"),
    "assessment.objection.reject": _("异议不成立，维持原结果"),
}


class AssessmentEvent(StatusHistory):
    """Append-only status history of assessments, evaluations and objections (STYLE 4)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="events")
    evaluation = models.ForeignKey(
        UnitEvaluation, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    objection = models.ForeignKey(
        Objection, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )

    class Meta(StatusHistory.Meta):
        verbose_name = _("考核记录")
        verbose_name_plural = _("考核记录")

    def __str__(self) -> str:
        return f"{self.action} {self.from_status}→{self.to_status}"

    def get_action_display(self) -> str:
        return str(EVENT_LABELS.get(self.action, self.action))
