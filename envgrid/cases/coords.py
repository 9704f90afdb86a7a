"""Coordinate input for a case's place (G3): WGS84, GCJ-02 or BD-09 in, WGS84 stored.

The 100–700 m offset between the systems is enough to put a point in the wrong community
grid and give the case to the wrong unit, so every input states its system."""

from __future__ import annotations

import math

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from envgrid.core.errors import ApplicationError


class CoordSystem(models.TextChoices):
    WGS84 = "wgs84", gettext_lazy("WGS84 / CGCS2000（GPS）")
    GCJ02 = "gcj02", gettext_lazy("GCJ-02（高德、腾讯地图）")
    BD09 = "bd09", gettext_lazy("BD-09（百度地图）")


_A = 6378245.0
_EE = 0.00669342162296594323


def _out_of_china(lon: float, lat: float) -> bool:
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _d_lat(x: float, y: float) -> float:
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    r += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return r


def _d_lon(x: float, y: float) -> float:
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    r += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return r


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    if _out_of_china(lon, lat):
        return lon, lat
    dlat = _d_lat(lon - 105.0, lat - 35.0)
    dlon = _d_lon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Inverse by fixed-point iteration (sub-centimetre after a few rounds)."""
    wlon, wlat = lon, lat
    for _i in range(20):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        dlon, dlat = glon - lon, glat - lat
        wlon, wlat = wlon - dlon, wlat - dlat
        if abs(dlon) < 1e-9 and abs(dlat) < 1e-9:
            break
    return wlon, wlat


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    x_pi = math.pi * 3000.0 / 180.0
    x, y = lon - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * x_pi)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * x_pi)
    return z * math.cos(theta), z * math.sin(theta)


def to_wgs84(lon: float, lat: float, system: str) -> tuple[float, float]:
    if system == CoordSystem.WGS84:
        return lon, lat
    if system == CoordSystem.GCJ02:
        return gcj02_to_wgs84(lon, lat)
    if system == CoordSystem.BD09:
        return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
    raise ApplicationError(
        _("请注明坐标系（WGS84、GCJ-02 或 BD-09）。"),
        code="coord_system_unknown",
        fields={"coord_system": [_("未知坐标系")]},
    )
