"""Shared records every rule stands on: audit chain, working-day calendar, inbox, document numbers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import limits


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class StoredFile(models.Model):
    """An uploaded file kept under MEDIA_ROOT after core.uploads checked it: the file, the
    name it came with, its size and SHA-256, who uploaded it and when (issue 19).

    Case evidence and its transfer copies, inspection, patrol and petition photos and
    assessment evidence inherit it. Where a model's column was already different in the
    database (a shorter name, a smaller size type, an index, a path instead of a file) the
    model keeps its own field; a field a model never had is removed with ``= None``. The
    MIME type keeps each model's column name; ``mime_field`` says which it is."""

    file = models.FileField(_("文件"), max_length=300)
    original_name = models.CharField(_("文件名"), max_length=255)
    size = models.PositiveBigIntegerField(_("大小"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    mime_field = "mime"

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return str(getattr(self, "original_name", "") or "")

    @property
    def media_type(self) -> str:
        """The stored MIME type, whatever the model's column is called."""
        return str(getattr(self, self.mime_field, "") or "")


class AuditEvent(models.Model):
    """One write, append-only and hash-chained (see core.audit)."""

    seq = models.BigIntegerField(_("序号"), unique=True)
    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_repr = models.CharField(_("操作人名称"), max_length=200, blank=True)
    action = models.CharField(_("操作"), max_length=100, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=100, db_index=True)
    object_id = models.CharField(_("对象编号"), max_length=64, db_index=True)
    object_repr = models.CharField(_("对象名称"), max_length=300, blank=True)
    before = models.JSONField(_("修改前"), null=True, blank=True)
    after = models.JSONField(_("修改后"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        indexes = [models.Index(fields=["object_type", "object_id", "seq"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditHead(models.Model):
    """Single row holding the chain's tip; locking it serialises appends, and it
    lets verification notice that the newest rows were deleted."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head #{self.last_seq}"


class CalendarYear(models.Model):
    """An administrator's statement about one year of the State Council holiday notice.

    Its existence makes the year known. Its days override the packaged data; a year the
    package does not know is weekdays-work plus these days."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    notice_ref = models.CharField(_("国务院通知文号"), max_length=200, blank=True)
    note = models.TextField(_("说明"), max_length=limits.LONG, blank=True)
    # False for a placeholder (the demo's, or any year entered before the State Council
    # notice is out): deadlines computed in it are answered as provisional (暂定).
    official = models.BooleanField(_("正式通知"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("工作日历年度")
        verbose_name_plural = _("工作日历年度")

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("法定节假日（休息）")
        WORKDAY = "workday", _("调休工作日（上班）")

    year = models.ForeignKey(CalendarYear, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("日历调整")
        verbose_name_plural = _("日历调整")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class Notification(models.Model):
    """The in-app inbox (always on); e-mail is sent too when configured."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    subject = models.CharField(_("标题"), max_length=300)
    body = models.TextField(_("内容"), max_length=limits.LONG, blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.subject


class DocumentCounter(models.Model):
    """Per (kind, issuer, year) serial for document numbers (文号) such as 站环移〔2026〕12号."""

    kind = models.CharField(max_length=50)
    issuer_key = models.CharField(max_length=64)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "issuer_key", "year"], name="doc_counter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.issuer_key}/{self.year}: {self.last}"


class PeriodLease(models.Model):
    """Who ran a periodic job for one period (core.tasks.once_per_period): the insert of
    (name, period_key) wins, so however many schedulers fire, each period runs once."""

    name = models.CharField(_("任务"), max_length=100)
    period_key = models.CharField(_("周期"), max_length=40)
    taken_at = models.DateTimeField(_("执行时间"), auto_now_add=True)
    holder = models.CharField(_("执行者"), max_length=200, blank=True)

    class Meta:
        ordering = ["-taken_at"]
        verbose_name = _("周期任务租约")
        verbose_name_plural = _("周期任务租约")
        constraints = [
            models.UniqueConstraint(fields=["name", "period_key"], name="period_lease_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name}@{self.period_key}"


class RuleOverride(models.Model):
    """An administrator's value for a configurable rule (envgrid.core.rules), stored as
    JSON text; it wins over settings and the default. Only rules declared
    `admin_override=True` may have one; the value is checked against the rule's type and
    range when saved (clean), so a bad value is refused with the reason. Switched off
    (`active` False), it is kept and ignored."""

    key = models.CharField(_("规则"), max_length=100, unique=True)
    value = models.TextField(_("取值（JSON）"), max_length=limits.MEDIUM)
    reason = models.CharField(_("调整依据"), max_length=300, blank=True)
    # Nothing is hard-deleted: an override no longer wanted is switched off (the rule
    # returns to its settings/default value) and stays as the record of what was in force.
    active = models.BooleanField(_("生效"), default=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("规则参数调整")
        verbose_name_plural = _("规则参数调整")

    def __str__(self) -> str:
        return f"{self.key} = {self.value}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.full_clean()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from . import rules

        try:
            rules.parse_db_value(self.key, self.value)
        except ValidationError as exc:
            field = "key" if exc.code in ("rule_unknown", "rule_not_overridable") else "value"
            raise ValidationError({field: exc.messages}) from exc


class JobStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("处理失败")
    CANCELLED = "cancelled", _("已取消")


class Job(models.Model):
    """A long job run as a task (core.jobs, docs/decisions/0018-task-queue.md): which
    function, its input, progress the page and the API poll, the worker's heartbeat the
    reaper watches, and who may retry or cancel it."""

    kind = models.CharField(_("任务类型"), max_length=200)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    payload = models.BinaryField(_("上传内容"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=JobStatus.choices, default=JobStatus.PENDING
    )
    progress_done = models.PositiveIntegerField(_("已完成"), default=0)
    progress_total = models.PositiveIntegerField(_("总数"), default=0)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    message = models.CharField(_("说明"), max_length=1000, blank=True)
    attempts = models.PositiveSmallIntegerField(_("执行次数"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("心跳时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="job_heartbeat")]
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 100 if self.status == JobStatus.DONE else 0
        return min(100, round(100 * self.progress_done / self.progress_total))
