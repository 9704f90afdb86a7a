"""Joint meetings (联席会议, SPEC M1–M7): agenda, participants and attendance, minutes,
decisions with their owners, progress and closure, and periodic task reports."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from envgrid.core import limits
from envgrid.core.models import TimeStampedModel
from envgrid.core.workflow import StatusHistory


def _label(choices: type[models.TextChoices], value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


class MeetingScope(models.TextChoices):
    # M3: the leading group's level-2 joint meeting; M7: member units among themselves.
    GROUP = "group", _("领导小组联席会议")
    MEMBERS = "members", _("成员单位联席会议")


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("已安排")
    HELD = "held", _("已召开")
    MINUTED = "minuted", _("纪要已印发")
    CANCELLED = "cancelled", _("已取消")


class AgendaKind(models.TextChoices):
    """M2: what an agenda item does."""

    DEPLOYMENT = "deployment", _("部署")
    BRIEFING = "briefing", _("通报")
    SCHEDULING = "scheduling", _("调度")
    COORDINATION = "coordination", _("协调")
    SUPERVISION = "supervision", _("督办")
    ASSESSMENT = "assessment", _("考核")


class ProblemKind(models.TextChoices):
    """M1: the kind of problem a joint meeting exists to resolve."""

    KEY = "key", _("重点问题")
    DIFFICULT = "difficult", _("难点问题")
    HOT = "hot", _("热点问题")


class Meeting(TimeStampedModel):
    leading_group = models.ForeignKey(
        "org.LeadingGroup",
        verbose_name=_("领导小组"),
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    scope = models.CharField(
        _("会议类别"), max_length=10, choices=MeetingScope.choices, default=MeetingScope.GROUP
    )
    title = models.CharField(_("会议名称"), max_length=200)
    starts_at = models.DateTimeField(_("会议时间"), db_index=True)
    place = models.CharField(_("会议地点"), max_length=200)
    convener = models.ForeignKey(
        "org.Person", verbose_name=_("召集人"), on_delete=models.PROTECT, related_name="+"
    )
    # Set when the office director convenes under a recorded delegation (M4).
    delegation = models.ForeignKey(
        "org.Delegation",
        verbose_name=_("委托授权"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    # Who organises it and supervises its decisions (M5): the group's office, or for a
    # meeting among member units (M7) the convening unit.
    organiser_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("组织单位"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED
    )
    minutes = models.TextField(_("会议纪要"), max_length=limits.HUGE, blank=True)
    minutes_number = models.CharField(_("纪要文号"), max_length=60, blank=True)
    minutes_issued_at = models.DateTimeField(_("纪要印发时间"), null=True, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("联席会议")
        verbose_name_plural = _("联席会议")
        indexes = [models.Index(fields=["leading_group", "starts_at"], name="mtg_group_start")]
        constraints = [
            models.UniqueConstraint(
                fields=["minutes_number"],
                condition=~Q(minutes_number=""),
                name="mtg_minutes_number_unique",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("meetings:detail", args=[self.pk])

    @property
    def local_day(self):
        return timezone.localtime(self.starts_at).date()


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    order = models.PositiveSmallIntegerField(_("序号"))
    kind = models.CharField(_("议题类型"), max_length=15, choices=AgendaKind.choices)
    problem_kind = models.CharField(_("问题类别"), max_length=10, choices=ProblemKind.choices)
    title = models.CharField(_("议题"), max_length=300)
    description = models.TextField(_("说明"), max_length=limits.LONG, blank=True)
    link_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True)
    link_id = models.CharField(max_length=64, blank=True)
    link = GenericForeignKey("link_type", "link_id")
    link_repr = models.CharField(_("关联对象"), max_length=300, blank=True)

    class Meta:
        ordering = ["meeting", "order"]
        verbose_name = _("议题")
        verbose_name_plural = _("议题")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "order"], name="agenda_order_unique")
        ]
        indexes = [models.Index(fields=["link_type", "link_id"], name="agenda_link")]

    def __str__(self) -> str:
        return f"{self.order}. {self.title}"


class ParticipantSource(models.TextChoices):
    MEMBER = "member", _("成员单位")
    AGENDA = "agenda", _("议题相关单位")
    ADDED = "added", _("增列")


class Attendance(models.TextChoices):
    PENDING = "pending", _("未登记")
    PRESENT = "present", _("出席")
    DELEGATE = "delegate", _("委派代表出席")
    ABSENT = "absent", _("缺席")


ATTENDED = (Attendance.PRESENT, Attendance.DELEGATE)


class Participant(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("参会单位"), on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("列入依据"), max_length=10, choices=ParticipantSource.choices)
    source_note = models.CharField(_("依据说明"), max_length=300, blank=True)
    attendance = models.CharField(
        _("出席情况"), max_length=10, choices=Attendance.choices, default=Attendance.PENDING
    )
    attendee_name = models.CharField(_("出席人"), max_length=100, blank=True)
    delegate_name = models.CharField(_("代表姓名"), max_length=100, blank=True)
    absence_reason = models.CharField(_("缺席原因"), max_length=300, blank=True)
    recorded_at = models.DateTimeField(_("登记时间"), null=True, blank=True)

    class Meta:
        ordering = ["meeting", "unit__code"]
        verbose_name = _("参会单位")
        verbose_name_plural = _("参会单位")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "unit"], name="participant_unique"),
            # An absence always carries its reason; a delegate is always named.
            models.CheckConstraint(
                condition=~Q(attendance="absent") | ~Q(absence_reason=""),
                name="participant_absent_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(attendance="delegate") | ~Q(delegate_name=""),
                name="participant_delegate_named",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id}:{self.unit}"


class MeetingStatusChange(StatusHistory):
    """Append-only history of a meeting's status (STYLE rule 4)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="history")

    def __str__(self) -> str:
        return f"{self.meeting_id}: {self.from_status}→{self.to_status}"

    @property
    def from_label(self) -> str:
        return _label(MeetingStatus, self.from_status)

    @property
    def to_label(self) -> str:
        return _label(MeetingStatus, self.to_status)


class DecisionStatus(models.TextChoices):
    OPEN = "open", _("落实中")
    REPORTED = "reported", _("已报完成待核验")
    CLOSED = "closed", _("已核验办结")
    WITHDRAWN = "withdrawn", _("已撤销")


class Decision(TimeStampedModel):
    """决定事项: a meeting's decision, owned by one or more units, due by a date (M5)."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会议"), on_delete=models.PROTECT, related_name="decisions"
    )
    seq = models.PositiveSmallIntegerField(_("序号"))
    text = models.TextField(_("决定事项"), max_length=limits.LONG)
    due_date = models.DateField(_("完成时限"))
    status = models.CharField(
        _("状态"), max_length=10, choices=DecisionStatus.choices, default=DecisionStatus.OPEN
    )
    verification_note = models.TextField(_("核验意见"), max_length=limits.LONG, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核验人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    withdraw_reason = models.CharField(_("撤销原因"), max_length=300, blank=True)
    # Set when a supervision notice about it went unanswered past its own deadline.
    escalated_at = models.DateTimeField(_("升级督办时间"), null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("决定事项")
        verbose_name_plural = _("决定事项")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "seq"], name="decision_seq_unique"),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="decision_closed_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | ~Q(withdraw_reason=""),
                name="decision_withdrawn_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_date"], name="decision_status_due")]

    def __str__(self) -> str:
        return f"{self.meeting.title} · {_('决定事项')}{self.seq}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("meetings:decision_detail", args=[self.pk])


class DecisionOwner(models.Model):
    """One owner unit of a decision, with the obligation it currently owes (one per owner)."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="owners")
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("承办单位"), on_delete=models.PROTECT, related_name="+"
    )
    obligation = models.ForeignKey(
        "obligations.Obligation",
        verbose_name=_("办理时限"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reported_done_at = models.DateTimeField(_("报告完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["decision", "unit__code"]
        verbose_name = _("承办单位")
        verbose_name_plural = _("承办单位")
        constraints = [
            models.UniqueConstraint(fields=["decision", "unit"], name="decision_owner_unique")
        ]

    def __str__(self) -> str:
        return f"{self.decision_id}:{self.unit}"


class DecisionProgress(models.Model):
    """A progress report by an owner unit (append-only)."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="progress")
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("报告单位"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        "org.Person",
        verbose_name=_("报告人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("报告时间"), default=timezone.now)
    text = models.TextField(_("落实情况"), max_length=limits.LONG)
    is_completion = models.BooleanField(_("报告完成"), default=False)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("落实进展")
        verbose_name_plural = _("落实进展")

    def __str__(self) -> str:
        return f"{self.decision_id} {self.unit} {self.at:%Y-%m-%d}"


class DecisionLink(models.Model):
    """A case, transfer, enforcement action … that a decision concerns (generic link)."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="links")
    link_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    link_id = models.CharField(max_length=64)
    link = GenericForeignKey("link_type", "link_id")
    link_repr = models.CharField(_("关联对象"), max_length=300, blank=True)

    class Meta:
        ordering = ["decision", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["decision", "link_type", "link_id"], name="decision_link_unique"
            )
        ]
        indexes = [models.Index(fields=["link_type", "link_id"], name="decision_link_obj")]

    def __str__(self) -> str:
        return self.link_repr or f"{self.link_type_id}:{self.link_id}"


class DecisionStatusChange(StatusHistory):
    """Append-only history of a decision's status (STYLE rule 4)."""

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="history")

    def __str__(self) -> str:
        return f"{self.decision_id}: {self.from_status}→{self.to_status}"

    @property
    def from_label(self) -> str:
        return _label(DecisionStatus, self.from_status)

    @property
    def to_label(self) -> str:
        return _label(DecisionStatus, self.to_status)


class ReportInterval(models.TextChoices):
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")
    HALF_YEARLY = "half_yearly", _("每半年")
    YEARLY = "yearly", _("每年")


INTERVAL_MONTHS = {
    ReportInterval.MONTHLY: 1,
    ReportInterval.QUARTERLY: 3,
    ReportInterval.HALF_YEARLY: 6,
    ReportInterval.YEARLY: 12,
}


class TaskReportSchedule(TimeStampedModel):
    """M6: the office's rule that member units report the completion of their assigned
    environmental tasks at an interval; each period's report is an obligation."""

    leading_group = models.ForeignKey(
        "org.LeadingGroup",
        verbose_name=_("领导小组"),
        on_delete=models.PROTECT,
        related_name="task_report_schedules",
    )
    title = models.CharField(_("名称"), max_length=200)
    interval = models.CharField(_("报送周期"), max_length=12, choices=ReportInterval.choices)
    starts_on = models.DateField(_("首个报告期起"))
    due_workdays = models.PositiveSmallIntegerField(_("报告期结束后几个工作日内报送"))
    # Empty means every member unit of the group except the office itself.
    units = models.ManyToManyField(
        "org.Unit", verbose_name=_("报送单位"), blank=True, related_name="+"
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["leading_group", "title"]
        verbose_name = _("任务完成情况报送安排")
        verbose_name_plural = _("任务完成情况报送安排")

    def __str__(self) -> str:
        return self.title


class TaskReport(models.Model):
    schedule = models.ForeignKey(
        TaskReportSchedule,
        verbose_name=_("报送安排"),
        on_delete=models.PROTECT,
        related_name="reports",
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("报送单位"), on_delete=models.PROTECT, related_name="+"
    )
    period_start = models.DateField(_("报告期起"))
    period_end = models.DateField(_("报告期止"))
    obligation = models.ForeignKey(
        "obligations.Obligation",
        verbose_name=_("办理时限"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    content = models.TextField(_("任务完成情况"), max_length=limits.HUGE, blank=True)
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        "org.Person",
        verbose_name=_("报送人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-period_start", "unit__code"]
        verbose_name = _("任务完成情况报告")
        verbose_name_plural = _("任务完成情况报告")
        constraints = [
            # Generating a period twice must never create a second report or obligation.
            models.UniqueConstraint(
                fields=["schedule", "unit", "period_start"], name="task_report_period_unique"
            ),
            models.CheckConstraint(
                condition=Q(submitted_at__isnull=True) | ~Q(content=""),
                name="task_report_submitted_has_content",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.schedule.title} {self.unit} {self.period_start:%Y-%m}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("meetings:task_report_detail", args=[self.pk])
