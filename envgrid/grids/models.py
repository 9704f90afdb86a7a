"""The grid tree (G1): levels, codes, owner units, boundaries as GeoJSON in WGS84 lon/lat."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from envgrid.core.models import TimeStampedModel


class Grid(TimeStampedModel):
    code = models.CharField(_("网格编码"), max_length=50, unique=True)
    name = models.CharField(_("网格名称"), max_length=200)
    level = models.PositiveSmallIntegerField(_("层级"))
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    owner_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("网格主体单位"), on_delete=models.PROTECT, related_name="grids"
    )
    leading_group = models.ForeignKey(
        "org.LeadingGroup",
        verbose_name=_("领导小组"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="grids",
    )
    # GeoJSON geometry (Polygon or MultiPolygon), WGS84 lon/lat.
    boundary = models.JSONField(_("边界"))
    # Materialised path of ancestor ids ("/1/5/23/"): subtree reads are one indexed prefix filter.
    path = models.CharField(max_length=500, db_index=True, default="/")
    min_lon = models.FloatField(default=0)
    min_lat = models.FloatField(default=0)
    max_lon = models.FloatField(default=0)
    max_lat = models.FloatField(default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("网格")
        verbose_name_plural = _("网格")

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def ancestors_ids(self) -> list[int]:
        return [int(x) for x in self.path.strip("/").split("/") if x][:-1]
