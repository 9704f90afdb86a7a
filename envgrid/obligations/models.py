"""Obligations: "unit U owes action X on object O by time T", for every rule.

Every workflow (transfer feedback, decision due dates, acknowledgements, reports due)
opens and closes obligations through envgrid.obligations.services, so deadlines,
pauses, extensions, overdue marking, escalation and the overdue register (T6) work
the same everywhere, and assessment reads one table.
"""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from envgrid.core import limits
from envgrid.core.deadlines import DeadlineRule, RuleKind
from envgrid.core.workflow import StatusHistory


class ObligationStatus(models.TextChoices):
    OPEN = "open", _("办理中")
    OVERDUE = "overdue", _("已逾期")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已撤销")


class Obligation(models.Model):
    kind = models.CharField(_("事项类型"), max_length=60, db_index=True)
    title = models.CharField(_("事项"), max_length=300)
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="obligations"
    )
    person = models.ForeignKey(
        "org.Person",
        verbose_name=_("责任人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="obligations",
    )
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    link = models.CharField(_("链接"), max_length=300, blank=True)

    rule_kind = models.CharField(_("时限规则"), max_length=10, choices=RuleKind.choices)
    rule_amount = models.PositiveIntegerField(_("时限"))
    start_event = models.CharField(_("起算事件"), max_length=200)
    started_at = models.DateTimeField(_("起算时间"))
    due_at = models.DateTimeField(_("截止时间"), db_index=True)
    paused_since = models.DateTimeField(_("暂停自"), null=True, blank=True)
    # The due time was computed across a placeholder calendar year (no State Council
    # notice entered yet): shown as 暂定 with the years, recomputed when the official
    # year is entered (issue 15, part 5).
    # Database defaults too, so the bulk loaders' raw INSERTs (bench) need not name them.
    provisional = models.BooleanField(_("暂定期限"), default=False, db_default=False)
    provisional_years = models.JSONField(
        _("暂定年度"),
        default=list,
        blank=True,
        db_default=Value([], output_field=models.JSONField()),
    )

    status = models.CharField(
        _("状态"), max_length=10, choices=ObligationStatus.choices, default=ObligationStatus.OPEN
    )
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    completed_late = models.BooleanField(_("逾期完成"), default=False)
    overdue_at = models.DateTimeField(_("标记逾期时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("升级督办时间"), null=True, blank=True)
    escalated_to = models.ForeignKey(
        "org.Unit",
        verbose_name=_("升级至"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        ordering = ["due_at"]
        verbose_name = _("办理时限")
        verbose_name_plural = _("办理时限")
        indexes = [
            # The sweep's UPDATE: open items past due.
            models.Index(fields=["status", "due_at"], name="obl_status_due"),
            models.Index(fields=["unit", "status", "due_at"], name="obl_unit_status_due"),
            models.Index(fields=["subject_type", "subject_id", "kind"], name="obl_subject_kind"),
            # The sweep's batches: overdue items not yet escalated, by id. Partial, so it
            # holds only the backlog; without it each batch scanned the primary key past
            # every escalated item (0.35 s a batch at 3.4 M obligations).
            models.Index(
                fields=["id"],
                condition=Q(status="overdue", escalated_at__isnull=True),
                name="obl_to_escalate",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="done") | Q(completed_at__isnull=False),
                name="obl_done_has_time",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def rule(self) -> DeadlineRule:
        return DeadlineRule(self.rule_kind, self.rule_amount)

    @property
    def kind_label(self) -> str:
        """The kind as a person reads it (labels.KIND_LABELS), never the code."""
        from .labels import kind_label

        return kind_label(self.kind)

    @property
    def rule_text(self) -> str:
        """The deadline rule as a sentence a person reads (labels.rule_text)."""
        from .labels import rule_text

        return rule_text(self)

    @property
    def is_late(self) -> bool:
        if self.status == ObligationStatus.DONE:
            return self.completed_late
        return self.status == ObligationStatus.OVERDUE or (
            self.status == ObligationStatus.OPEN and self.due_at < timezone.now()
        )


class ObligationPause(models.Model):
    obligation = models.ForeignKey(Obligation, on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField(_("暂停开始"))
    ended_at = models.DateTimeField(_("暂停结束"), null=True, blank=True)
    reason = models.CharField(_("原因"), max_length=300)
    approver = models.ForeignKey(
        "org.Person", verbose_name=_("批准人"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["started_at"]
        verbose_name = _("暂停")
        verbose_name_plural = _("暂停")

    def __str__(self) -> str:
        return f"{self.obligation_id} pause {self.started_at:%Y-%m-%d}"


class ObligationExtension(models.Model):
    obligation = models.ForeignKey(Obligation, on_delete=models.CASCADE, related_name="extensions")
    amount = models.PositiveIntegerField(_("延长"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    reason = models.CharField(_("原因"), max_length=300)
    approver = models.ForeignKey(
        "org.Person", verbose_name=_("批准人"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("延期")
        verbose_name_plural = _("延期")

    def __str__(self) -> str:
        return f"{self.obligation_id} +{self.amount}"


class ObligationEvent(StatusHistory):
    """Append-only history of an obligation: opened, paused, resumed, extended, overdue,
    escalated, done, cancelled (STYLE rule 4)."""

    obligation = models.ForeignKey(Obligation, on_delete=models.PROTECT, related_name="events")
    due_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.obligation_id} {self.action}"


class SupervisionStatus(models.TextChoices):
    OPEN = "open", _("督办中")
    RESPONDED = "responded", _("已回复")
    CLOSED = "closed", _("已办结")


class Supervision(models.Model):
    """督办通知: a formal chase of an overdue or key item. Issued by an overseeing unit to
    the unit that owes; the response is itself an obligation, so an unanswered notice
    goes overdue and escalates like anything else."""

    number = models.CharField(_("督办文号"), max_length=60, unique=True)
    issuer = models.ForeignKey(
        "org.Unit", verbose_name=_("督办单位"), on_delete=models.PROTECT, related_name="+"
    )
    target = models.ForeignKey(
        "org.Unit",
        verbose_name=_("被督办单位"),
        on_delete=models.PROTECT,
        related_name="supervisions",
    )
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    # The overdue obligation that prompted it, if any (one notice per overdue item per cycle).
    source_obligation = models.ForeignKey(
        Obligation, null=True, blank=True, on_delete=models.SET_NULL, related_name="supervisions"
    )
    reason = models.TextField(_("督办事由"), max_length=limits.LONG)
    requirement = models.TextField(_("办理要求"), max_length=limits.LONG, blank=True)
    issued_at = models.DateTimeField(_("督办时间"), default=timezone.now)
    response_obligation = models.OneToOneField(
        Obligation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="as_supervision_response",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=SupervisionStatus.choices, default=SupervisionStatus.OPEN
    )
    response = models.TextField(_("办理情况"), max_length=limits.LONG, blank=True)
    responded_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    link = models.CharField(max_length=300, blank=True)
    # Issued by hand by the office or a leader (D6), not by a rule (overdue decision, key
    # enforcement target).
    by_hand = models.BooleanField(_("人工督办"), default=False, db_default=False)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("督办通知")
        verbose_name_plural = _("督办通知")

    def __str__(self) -> str:
        return self.number


class ReminderSent(models.Model):
    """A reminder (催办) sent before an obligation's deadline (D6): `offset` is the number of
    working days before the due day (0 = on the due day). Unique per obligation and offset,
    so every sweep after the first finds it sent and sends nothing."""

    obligation = models.ForeignKey(Obligation, on_delete=models.CASCADE, related_name="reminders")
    offset = models.PositiveSmallIntegerField(_("提前工作日"))
    due_at = models.DateTimeField(_("截止时间"))
    sent_at = models.DateTimeField(_("提醒时间"), default=timezone.now)

    class Meta:
        ordering = ["sent_at"]
        verbose_name = _("催办提醒")
        verbose_name_plural = _("催办提醒")
        constraints = [
            models.UniqueConstraint(fields=["obligation", "offset"], name="obl_reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.obligation_id} -{self.offset}"
