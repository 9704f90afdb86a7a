"""Supervised entities (监管对象, G4): enterprises and sites located by a point, in a grid."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from envgrid.core.models import TimeStampedModel


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
    address = models.CharField(_("地址"), max_length=300, blank=True)
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
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

    def __str__(self) -> str:
        return self.name
