"""Coordinate input for a case's place (G3): WGS84, GCJ-02 or BD-09 in, WGS84 stored.

The 100–700 m offset between the systems is enough to put a point in the wrong community
grid and give the case to the wrong unit, so every input states its system. The
conversion itself is the grid app's (envgrid.grids.coords); this module gives it the
form choices and the refusal a case form shows."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from envgrid.core.errors import ApplicationError
from envgrid.grids import coords as grid_coords

wgs84_to_gcj02 = grid_coords.wgs84_to_gcj02


class CoordSystem(models.TextChoices):
    WGS84 = grid_coords.WGS84, gettext_lazy("WGS84 / CGCS2000（GPS）")
    GCJ02 = grid_coords.GCJ02, gettext_lazy("GCJ-02（高德、腾讯地图）")
    BD09 = grid_coords.BD09, gettext_lazy("BD-09（百度地图）")


def normalize(system: str | None) -> str:
    """The canonical name of a coordinate system (empty means WGS84)."""
    try:
        return grid_coords.normalize_crs(system)
    except grid_coords.UnknownCRS:
        raise ApplicationError(
            _("请注明坐标系（WGS84、GCJ-02 或 BD-09）。"),
            code="coord_system_unknown",
            fields={"input_crs": [_("未知坐标系")]},
        ) from None


def to_wgs84(lon: float, lat: float, system: str) -> tuple[float, float]:
    try:
        return grid_coords.to_wgs84(lon, lat, system)
    except grid_coords.UnknownCRS:
        raise ApplicationError(
            _("请注明坐标系（WGS84、GCJ-02 或 BD-09）。"),
            code="coord_system_unknown",
            fields={"input_crs": [_("未知坐标系")]},
        ) from None
    except ValueError:
        raise ApplicationError(
            _("经纬度超出范围。"), code="point_invalid", fields={"lon": [_("超出范围")]}
        ) from None
