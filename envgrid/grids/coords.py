"""Coordinate systems of point input (SPEC G3): WGS84, GCJ-02 and BD-09 → WGS84.

Chinese web maps and phone SDKs hand out GCJ-02 (Gaode, Tencent) or BD-09 (Baidu)
coordinates, 100–700 m away from WGS84: enough to put a point into the wrong community
grid. Every coordinate input therefore names its system and is converted here on the way
in; everything stored is WGS84 (= CGCS2000 at this precision).

The forward transforms are the published GCJ-02 / BD-09 formulas. The inverses are not
closed-form; the usual one-step "inverse" is off by metres, so here both are solved by
fixed-point iteration until the forward transform of the answer reproduces the input to
about 1e-10 degrees (≈ 0.01 mm): exact for all practical purposes.
"""

from __future__ import annotations

import math
from typing import Any

WGS84 = "wgs84"
GCJ02 = "gcj02"
BD09 = "bd09"
CRS_CHOICES = (WGS84, GCJ02, BD09)
# Accepted spellings (case-insensitive) → canonical name.
_ALIASES = {
    "wgs84": WGS84,
    "wgs-84": WGS84,
    "epsg:4326": WGS84,
    "cgcs2000": WGS84,
    "epsg:4490": WGS84,
    "gcj02": GCJ02,
    "gcj-02": GCJ02,
    "gcj": GCJ02,
    "bd09": BD09,
    "bd-09": BD09,
    "bd09ll": BD09,
}

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0
_TOL = 1e-10
_MAX_ITER = 30


class UnknownCRS(ValueError):
    """The named coordinate system is not one of CRS_CHOICES."""


def normalize_crs(value: str | None) -> str:
    """The canonical name for `value`; empty means WGS84 (the documented default)."""
    if value is None or not str(value).strip():
        return WGS84
    key = str(value).strip().lower()
    if key not in _ALIASES:
        raise UnknownCRS(value)
    return _ALIASES[key]


def out_of_china(lon: float, lat: float) -> bool:
    """GCJ-02 is only applied inside this rough box; outside it equals WGS84."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    if out_of_china(lon, lat):
        return lon, lat
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = math.sin(radlat)
    magic = 1 - _EE * magic * magic
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lon + dlon, lat + dlat


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def _invert(forward, lon: float, lat: float) -> tuple[float, float]:
    """Solve forward(x, y) == (lon, lat) by fixed-point iteration (the offsets vary
    slowly, so each step gains several digits; converges in a handful of steps)."""
    x, y = lon, lat
    for _ in range(_MAX_ITER):
        fx, fy = forward(x, y)
        dx, dy = fx - lon, fy - lat
        x, y = x - dx, y - dy
        if abs(dx) < _TOL and abs(dy) < _TOL:
            break
    return x, y


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Exact (iterative) inverse of wgs84_to_gcj02: error well under a millimetre."""
    if out_of_china(lon, lat):
        return lon, lat
    return _invert(wgs84_to_gcj02, lon, lat)


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    return _invert(gcj02_to_bd09, lon, lat)


def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Exact (iterative) inverse of wgs84_to_bd09."""
    return _invert(wgs84_to_bd09, lon, lat)


def to_wgs84(lon: float, lat: float, crs: str | None = WGS84) -> tuple[float, float]:
    """Convert a point given in `crs` to WGS84. Raises UnknownCRS for an unknown name and
    ValueError for a coordinate outside lon [-180, 180] / lat [-90, 90] or not finite."""
    name = normalize_crs(crs)
    lon, lat = float(lon), float(lat)
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ValueError("coordinate is not a finite number")
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise ValueError("coordinate out of range")
    if name == GCJ02:
        return gcj02_to_wgs84(lon, lat)
    if name == BD09:
        return bd09_to_wgs84(lon, lat)
    return lon, lat


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine), for tests and reports."""
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


# -- whole geometries (grid import, G1/G3) ----------------------------------------------

# The GeoJSON `crs` member (2008 spec; dropped by RFC 7946, still written by QGIS/GDAL):
# {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}}. OGC URNs and
# plain names map onto the systems above; GCJ-02 and BD-09 have no EPSG code, so their
# names are accepted as written ("GCJ-02", "BD-09", ...).
_URN_ALIASES = {
    "urn:ogc:def:crs:ogc:1.3:crs84": WGS84,
    "urn:ogc:def:crs:ogc::crs84": WGS84,
    "crs84": WGS84,
    "ogc:crs84": WGS84,
    "urn:ogc:def:crs:epsg::4326": WGS84,
    "urn:ogc:def:crs:epsg:6.6:4326": WGS84,
    "urn:ogc:def:crs:epsg::4490": WGS84,
    "cgcs2000": WGS84,
    "china geodetic coordinate system 2000": WGS84,
}


def crs_from_geojson(member: object) -> str | None:
    """The system a GeoJSON `crs` member declares (canonical name), None when absent.
    Raises UnknownCRS for a declaration that names anything else (or a linked CRS)."""
    if member is None:
        return None
    name = None
    if isinstance(member, dict) and member.get("type") == "name":
        props = member.get("properties")
        if isinstance(props, dict):
            name = props.get("name")
    if not isinstance(name, str) or not name.strip():
        raise UnknownCRS(str(member))
    key = name.strip().lower()
    if key in _URN_ALIASES:
        return _URN_ALIASES[key]
    return normalize_crs(name)


def geometry_to_wgs84(geom: Any, crs: str) -> Any:
    """A shapely geometry with every vertex converted from `crs` to WGS84 (vertex by
    vertex: the GCJ-02/BD-09 offsets vary slowly, so edges stay straight to well under
    a millimetre over a grid's extent)."""
    import numpy as np
    import shapely

    name = normalize_crs(crs)
    if name == WGS84:
        return geom

    def convert(coords: Any) -> Any:
        return np.array([to_wgs84(x, y, name) for x, y in coords], dtype=float).reshape(-1, 2)

    return shapely.transform(geom, convert)
