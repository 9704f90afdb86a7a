"""Information reports (信息报送, SPEC I2–I3): reports and their step history, the
office's reporting schedule, and each unit's due reports (one obligation each)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from envgrid.core import limits
from envgrid.core.models import TimeStampedModel
from envgrid.core.workflow import StatusHistory


class ReportType(models.TextChoices):
    WORK_INFO = "work_info", _("工作信息")
    THEMATIC = "thematic", _("专题综合信息")
    INCIDENT = "incident", _("突发事件信息")
    MAJOR_ADJUSTMENT = "major_adjustment", _("网格重大调整报告")
    WORK_SUMMARY = "work_summary", _("年度工作总结")


class ReportStatus(models.TextChoices):
    """The seven steps of I2 (采集、筛选、加工、报送、反馈、公开、存档), plus withdrawal:
    nothing a rule depends on is ever hard-deleted."""

    COLLECTED = "collected", _("已采集")
    SCREENED = "screened", _("已筛选")
    PROCESSED = "processed", _("已加工")
    SUBMITTED = "submitted", _("已报送")
    FED_BACK = "fed_back", _("已反馈")
    PUBLISHED = "published", _("已公开")
    ARCHIVED = "archived", _("已存档")
    WITHDRAWN = "withdrawn", _("已撤回")


# Statuses in which the author unit still works on the report (the office does not see it yet).
DRAFT_STATUSES = (ReportStatus.COLLECTED, ReportStatus.SCREENED, ReportStatus.PROCESSED)
# Statuses the receiving office sees: the report has been submitted upward at least once.
SENT_STATUSES = (
    ReportStatus.SUBMITTED,
    ReportStatus.FED_BACK,
    ReportStatus.PUBLISHED,
    ReportStatus.ARCHIVED,
)


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")
    YEARLY = "yearly", _("每年")


class ReportSchedule(TimeStampedModel):
    """What the office requires each unit to submit, and by when (I3).

    The due date is either the N-th working day after the period ends (monthly work
    information by the 5th working day of the next month) or a fixed month/day in the
    period's year plus an offset (the annual work summary by 15 January of the next year)."""

    leading_group = models.ForeignKey(
        "org.LeadingGroup",
        verbose_name=_("领导小组"),
        on_delete=models.PROTECT,
        related_name="report_schedules",
    )
    name = models.CharField(_("报送要求"), max_length=200)
    report_type = models.CharField(_("信息类型"), max_length=20, choices=ReportType.choices)
    frequency = models.CharField(_("报送周期"), max_length=10, choices=Frequency.choices)
    due_workdays = models.PositiveSmallIntegerField(
        _("期满后第几个工作日前报送"), null=True, blank=True
    )
    due_month = models.PositiveSmallIntegerField(_("截止月"), null=True, blank=True)
    due_day = models.PositiveSmallIntegerField(_("截止日"), null=True, blank=True)
    due_year_offset = models.PositiveSmallIntegerField(_("截止年份（0=当年，1=次年）"), default=0)
    valid_from = models.DateField(_("起始日期"))
    valid_to = models.DateField(_("终止日期"), null=True, blank=True)
    units = models.ManyToManyField(
        "org.Unit",
        verbose_name=_("报送单位（空=全部成员单位）"),
        blank=True,
        related_name="report_schedules",
    )
    is_active = models.BooleanField(_("启用"), default=True)
    note = models.TextField(_("说明"), max_length=limits.LONG, blank=True)

    class Meta:
        ordering = ["leading_group", "report_type", "name"]
        verbose_name = _("报送计划")
        verbose_name_plural = _("报送计划")
        constraints = [
            # Exactly one way of fixing the due date.
            models.CheckConstraint(
                condition=(
                    Q(due_workdays__isnull=False, due_month__isnull=True, due_day__isnull=True)
                    | Q(due_workdays__isnull=True, due_month__isnull=False, due_day__isnull=False)
                ),
                name="report_schedule_one_due_rule",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="report_schedule_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ReportDue(models.Model):
    """One report a unit owes for one period of a schedule. Its obligation (kind
    "report.due") carries the deadline; submitting a report for it completes it."""

    schedule = models.ForeignKey(
        ReportSchedule, verbose_name=_("报送计划"), on_delete=models.PROTECT, related_name="dues"
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("报送单位"), on_delete=models.PROTECT, related_name="report_dues"
    )
    period_key = models.CharField(_("期次"), max_length=10)
    period_start = models.DateField(_("期间起"))
    period_end = models.DateField(_("期间止"))
    due_at = models.DateTimeField(_("截止时间"), db_index=True)
    obligation = models.OneToOneField(
        "obligations.Obligation",
        verbose_name=_("办理时限"),
        on_delete=models.PROTECT,
        related_name="report_due",
    )
    report = models.ForeignKey(
        "Report",
        verbose_name=_("报送的信息"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        ordering = ["due_at", "unit__code"]
        verbose_name = _("应报事项")
        verbose_name_plural = _("应报事项")
        constraints = [
            # Idempotent generation: one due per schedule, unit and period, enforced by the DB.
            models.UniqueConstraint(
                fields=["schedule", "unit", "period_key"], name="report_due_unique_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.schedule.name} {self.period_key} · {self.unit}"


class Report(TimeStampedModel):
    number = models.CharField(_("信息编号"), max_length=60, blank=True)
    report_type = models.CharField(_("信息类型"), max_length=20, choices=ReportType.choices)
    title = models.CharField(_("标题"), max_length=300)
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("报送单位"), on_delete=models.PROTECT, related_name="reports"
    )
    author = models.ForeignKey(
        "org.Person",
        verbose_name=_("采集人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The unit's information officer when the report went up (I2: 确定专人负责).
    officer = models.ForeignKey(
        "org.Person",
        verbose_name=_("信息工作负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    leading_group = models.ForeignKey(
        "org.LeadingGroup",
        verbose_name=_("报送至领导小组"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
    )
    recipient_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("接收单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="received_reports",
    )
    grid = models.ForeignKey(
        "grids.Grid",
        verbose_name=_("相关网格"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    content = models.TextField(_("正文"), max_length=limits.HUGE, blank=True)
    # A thematic comprehensive report carries all three (I3: 有情况、有分析、有建议).
    situation = models.TextField(_("情况"), max_length=limits.HUGE, blank=True)
    analysis = models.TextField(_("分析"), max_length=limits.HUGE, blank=True)
    recommendations = models.TextField(_("建议"), max_length=limits.HUGE, blank=True)
    occurred_at = models.DateTimeField(_("事件发生时间"), null=True, blank=True)
    place = models.CharField(_("地点"), max_length=300, blank=True)
    due = models.ForeignKey(
        ReportDue,
        verbose_name=_("对应应报事项"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    # What the report was made from (a grid MajorAdjustment, G5); unique, so making it twice is a no-op.
    source_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True)
    source_id = models.CharField(max_length=64, blank=True)

    status = models.CharField(
        _("状态"), max_length=12, choices=ReportStatus.choices, default=ReportStatus.COLLECTED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True, db_index=True)
    feedback = models.TextField(_("反馈意见"), max_length=limits.LONG, blank=True)
    fed_back_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    fed_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("反馈人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField(_("公开时间"), null=True, blank=True)
    disclosure_ref = models.CharField(_("公开记录"), max_length=200, blank=True)
    archived_at = models.DateTimeField(_("存档时间"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdraw_reason = models.CharField(_("撤回原因"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("报送信息")
        verbose_name_plural = _("报送信息")
        indexes = [
            models.Index(fields=["unit", "status"], name="report_unit_status"),
            models.Index(fields=["leading_group", "status"], name="report_group_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["number"], condition=~Q(number=""), name="report_number_unique"
            ),
            models.UniqueConstraint(
                fields=["source_type", "source_id"],
                condition=~Q(source_id=""),
                name="report_source_unique",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["submitted", "fed_back", "published", "archived"])
                | Q(submitted_at__isnull=False),
                name="report_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("reporting:detail", args=[self.pk])

    @property
    def is_late(self) -> bool:
        """Submitted after its due date, or still not submitted past it."""
        if self.due_id is None:
            return False
        due_at = self.due.obligation.due_at if self.due else None
        if due_at is None:
            return False
        return (self.submitted_at or timezone.now()) > due_at


class ReportEvent(StatusHistory):
    """Append-only history: each step of I2 with who and when (STYLE rule 4)."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="events")
    actor_name = models.CharField(_("操作人姓名"), max_length=200, blank=True)

    class Meta(StatusHistory.Meta):
        verbose_name = _("报送记录")
        verbose_name_plural = _("报送记录")

    def __str__(self) -> str:
        return f"{self.report_id} {self.action}"
