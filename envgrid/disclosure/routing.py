"""Where a petition goes (G3): the stated coordinate system is converted to WGS84, the
point resolves to the lowest grid containing it, and the petition goes to that grid's
owner unit; the office that re-routes it is the office of the nearest leading group up
the grid chain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from envgrid.core.errors import ApplicationError

CRS_CHOICES = ("wgs84", "gcj02", "bd09")
CRS_LABELS = {"wgs84": "WGS84 / CGCS2000", "gcj02": "GCJ-02（高德、腾讯）", "bd09": "BD-09（百度）"}


def normalize_crs(crs: str | None) -> str:
    from envgrid.grids import coords

    try:
        return coords.normalize_crs(crs)
    except coords.UnknownCRS:
        raise ApplicationError(
            _("未知坐标系：%(crs)s（可选 WGS84、GCJ-02、BD-09）") % {"crs": crs},
            code="crs_invalid",
            fields={"crs": [str(crs)]},
        ) from None


def to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """Stored coordinates are WGS84; GCJ-02 / BD-09 input is converted on the way in (G3)."""
    from envgrid.grids import coords

    crs = normalize_crs(crs)
    if crs == coords.GCJ02:
        return coords.gcj02_to_wgs84(lon, lat)
    if crs == coords.BD09:
        return coords.bd09_to_wgs84(lon, lat)
    return lon, lat


def parse_point(lon: Any, lat: Any) -> tuple[float, float]:
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        raise ApplicationError(
            _("请在地图上选择地点，或填写有效的经纬度。"),
            code="location_required",
            fields={"lon": [_("无效")], "lat": [_("无效")]},
        ) from None
    if not (-180 <= x <= 180 and -90 <= y <= 90) or x != x or y != y:
        raise ApplicationError(
            _("经纬度超出范围。"), code="location_invalid", fields={"lon": [str(lon)]}
        )
    return x, y


def grid_for_point(lon: float, lat: float) -> Any:
    from envgrid.grids.selectors import grid_resolve

    return grid_resolve(lon, lat).grid


@dataclass
class Route:
    grid: Any
    unit: Any
    office_unit: Any


def default_office() -> Any:
    """The office of the top leading group (for points outside every grid)."""
    from envgrid.org.models import LeadingGroup

    group = LeadingGroup.objects.filter(parent__isnull=True).order_by("pk").first()
    return group.office_unit if group is not None else None


def office_for(grid: Any, chain: list[Any], unit: Any) -> Any:
    from envgrid.org.models import LeadingGroup

    for g in reversed(chain or ([grid] if grid is not None else [])):
        if getattr(g, "leading_group_id", None):
            return g.leading_group.office_unit
    if unit is not None:
        group = LeadingGroup.objects.filter(member_units=unit).order_by("pk").first()
        if group is not None:
            return group.office_unit
    return default_office()


def route_point(lon: float, lat: float) -> Route:
    """Owner of the lowest grid containing the point; outside every grid, the office."""
    from envgrid.grids.selectors import grid_resolve

    result = grid_resolve(lon, lat)
    if result.grid is None:
        office = default_office()
        if office is None:
            raise ApplicationError(
                _("该地点不在本系统网格范围内，且未设置受理机构。"),
                code="no_receiver",
                fields={"lon": [_("超出服务范围")]},
            )
        return Route(grid=None, unit=office, office_unit=office)
    unit = result.grid.owner_unit
    office = office_for(result.grid, list(result.chain), unit) or unit
    return Route(grid=result.grid, unit=unit, office_unit=office)
