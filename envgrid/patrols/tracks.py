"""GPS track parts: GPX (parsed with xml.etree) or GeoJSON LineString/MultiPoint with times.

A part is parsed completely and checked before anything is written: a bad file is refused
with a reason (ApplicationError code track_invalid) and leaves the patrol unchanged."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.errors import ApplicationError

Point = tuple[dt.datetime, float, float]
MAX_TRACK_BYTES = 20 * 1024 * 1024


def _bad(reason: str) -> ApplicationError:
    return ApplicationError(
        _("轨迹文件无效：%(reason)s") % {"reason": reason},
        code="track_invalid",
        fields={"file": [reason]},
    )


def parse_time(value: Any) -> dt.datetime:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(float(value), tz=dt.UTC)
    text = str(value or "").strip()
    if not text:
        raise _bad(_("缺少时间"))
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        raise _bad(_("时间格式错误：%(v)s") % {"v": text[:40]}) from None
    if timezone.is_naive(t):
        t = timezone.make_aware(t, dt.UTC)
    return t


def _coord(lon: Any, lat: Any) -> tuple[float, float]:
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        raise _bad(_("坐标不是数字")) from None
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        raise _bad(_("坐标超出范围：%(x)s, %(y)s") % {"x": lon, "y": lat})
    return x, y


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_gpx(data: bytes) -> list[Point]:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise _bad(_("不接受 DTD 或实体声明"))
    try:
        # DTDs and entities are refused above, which is what defusedxml would block.
        root = ET.fromstring(data)  # noqa: S314
    except ET.ParseError as exc:
        raise _bad(_("GPX 不是合法的 XML（%(e)s）") % {"e": exc}) from None
    if _local(root.tag) != "gpx":
        raise _bad(_("根元素不是 gpx"))
    points: list[Point] = []
    for el in root.iter():
        if _local(el.tag) not in ("trkpt", "rtept", "wpt"):
            continue
        x, y = _coord(el.get("lon"), el.get("lat"))
        t_el = next((c for c in el if _local(c.tag) == "time"), None)
        if t_el is None:
            raise _bad(_("轨迹点缺少时间"))
        points.append((parse_time(t_el.text), x, y))
    if not points:
        raise _bad(_("文件中没有轨迹点"))
    return points


def parse_geojson(data: Any) -> list[Point]:
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise _bad(_("不是合法的 JSON")) from None
    if not isinstance(data, dict):
        raise _bad(_("不是 GeoJSON 对象"))
    props: dict[str, Any] = {}
    if data.get("type") == "Feature":
        props = data.get("properties") or {}
        data = data.get("geometry") or {}
    if not isinstance(data, dict) or data.get("type") not in ("LineString", "MultiPoint"):
        raise _bad(_("几何类型须为 LineString 或 MultiPoint"))
    coords = data.get("coordinates")
    if not isinstance(coords, list) or not coords:
        raise _bad(_("没有坐标"))
    times = props.get("times") or props.get("coordTimes")
    if times is not None and (not isinstance(times, list) or len(times) != len(coords)):
        raise _bad(_("times 的个数与坐标个数不一致"))
    points: list[Point] = []
    for i, c in enumerate(coords):
        if not isinstance(c, list | tuple) or len(c) < 2:
            raise _bad(_("第 %(i)d 个坐标格式错误") % {"i": i + 1})
        x, y = _coord(c[0], c[1])
        if times is not None:
            t = parse_time(times[i])
        elif len(c) >= 4:
            t = parse_time(c[3])
        else:
            raise _bad(_("轨迹点缺少时间（properties.times）"))
        points.append((t, x, y))
    return points


def parse_track(data: bytes | str | dict, name: str = "") -> list[Point]:
    """Points of one part, sorted by time, identical timestamps kept once (the first)."""
    if isinstance(data, dict):
        points = parse_geojson(data)
    else:
        raw = data.encode() if isinstance(data, str) else data
        if len(raw) > MAX_TRACK_BYTES:
            raise _bad(_("文件过大"))
        head = raw.lstrip()[:1]
        if head == b"<" or name.lower().endswith(".gpx"):
            points = parse_gpx(raw)
        elif head in (b"{", b"["):
            points = parse_geojson(raw)
        else:
            raise _bad(_("只接受 GPX 或 GeoJSON"))
    now = timezone.now() + dt.timedelta(minutes=5)
    if any(p[0] > now for p in points):
        raise _bad(_("轨迹时间晚于当前时间"))
    seen: dict[dt.datetime, Point] = {}
    for p in points:
        seen.setdefault(p[0], p)
    return sorted(seen.values())
