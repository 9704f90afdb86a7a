"""Supervised entities (监管对象, G4): enterprises and sites located by a point, in a grid."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from envgrid.core.models import TimeStampedModel
from envgrid.core.pinyin import initials


class EntityCategory(models.TextChoices):
    KEY_DISCHARGER = "key", _("重点排污单位")
    GENERAL = "general", _("一般排污单位")
    REGISTERED = "registered", _("登记管理单位")
    SITE = "site", _("工地及其他场所")


class EntityStatus(models.TextChoices):
    OPERATING = "operating", _("在产")
    SUSPENDED = "suspended", _("停产")
    CLOSED = "closed", _("关闭")


class SupervisedEntity(TimeStampedModel):
    name = models.CharField(_("名称"), max_length=200)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, db_index=True)
    # The name's pinyin initials, for the pickers' search (kept by save() and the import).
    name_initials = models.CharField(
        _("名称拼音首字母"), max_length=100, blank=True, editable=False
    )
    address = models.CharField(_("地址"), max_length=300, blank=True)
    # Stored in WGS84 (SPEC G3); input_* keep what was entered and in which system.
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    input_crs = models.CharField(_("录入坐标系"), max_length=10, default="wgs84")
    input_lon = models.FloatField(_("录入经度"), null=True, blank=True)
    input_lat = models.FloatField(_("录入纬度"), null=True, blank=True)
    category = models.CharField(
        _("类别"), max_length=20, choices=EntityCategory.choices, default=EntityCategory.GENERAL
    )
    industry = models.CharField(_("行业"), max_length=100, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=EntityStatus.choices, default=EntityStatus.OPERATING
    )
    # Derived from the point (G4): re-derived when the entity moves or a boundary changes.
    grid = models.ForeignKey(
        "grids.Grid",
        verbose_name=_("所属网格"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="entities",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("监管对象")
        verbose_name_plural = _("监管对象")
        constraints = [
            models.UniqueConstraint(
                fields=["uscc"], condition=~Q(uscc=""), name="entity_uscc_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name_initials = initials(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_initials"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("entities:detail", args=[self.pk])


class ImportJobStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    VALIDATING = "validating", _("校验中")
    WRITING = "writing", _("写入中")
    DONE = "done", _("已完成")
    REFUSED = "refused", _("有错误，未导入")
    FAILED = "failed", _("处理失败")
    CANCELLED = "cancelled", _("已取消")


class EntityImportJob(models.Model):
    """One .xlsx import (G4): progress the page polls, and every bad row with its reason.
    A file with any bad row writes no entity."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    filename = models.CharField(_("文件名"), max_length=255)
    content = models.BinaryField(_("文件内容"))
    default_crs = models.CharField(_("默认坐标系"), max_length=10, default="wgs84")
    status = models.CharField(
        _("状态"), max_length=12, choices=ImportJobStatus.choices, default=ImportJobStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    created_count = models.PositiveIntegerField(_("新增数"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    message = models.CharField(_("说明"), max_length=500, blank=True)
    # The task queue's bookkeeping (docs/decisions/0018-task-queue.md): the rows written so
    # far in the write transaction, how many times a worker took the job, and the worker's
    # heartbeat; the reaper re-enqueues a job whose heartbeat went stale (worker killed).
    written_rows = models.PositiveIntegerField(_("已写入行数"), default=0)
    attempts = models.PositiveSmallIntegerField(_("执行次数"), default=0)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("心跳时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="import_job_heartbeat")]
        verbose_name = _("监管对象导入任务")
        verbose_name_plural = _("监管对象导入任务")

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (
            ImportJobStatus.DONE,
            ImportJobStatus.REFUSED,
            ImportJobStatus.FAILED,
            ImportJobStatus.CANCELLED,
        )

    @property
    def running(self) -> bool:
        return self.status in (ImportJobStatus.VALIDATING, ImportJobStatus.WRITING)

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.finished else 0
        return min(100, round(100 * self.processed_rows / self.total_rows))
