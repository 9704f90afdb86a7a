"""GPS tracks: parts in any order merge by time; a bad file is refused whole (issue 10 §2)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from envgrid.core.errors import ApplicationError
from envgrid.core.models import AuditEvent
from envgrid.patrols.models import Patrol, PatrolStatus, TrackPoint
from envgrid.patrols.services import patrol_finish, patrol_start, track_add

from .conftest import T0


def gpx(points):
    pts = "".join(
        f'<trkpt lat="{lat}" lon="{lon}"><time>{t.strftime("%Y-%m-%dT%H:%M:%SZ")}</time></trkpt>'
        for t, lon, lat in points
    )
    return (
        '<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">'
        f"<trk><trkseg>{pts}</trkseg></trk></gpx>"
    ).encode()


def geojson(points, kind="LineString"):
    return {
        "type": "Feature",
        "properties": {"times": [t.isoformat() for t, _x, _y in points]},
        "geometry": {"type": kind, "coordinates": [[x, y] for _t, x, y in points]},
    }


def walk(n, start=T0, lon0=122.201, lat0=40.661):
    return [
        (start + dt.timedelta(seconds=30 * i), lon0 + 0.0002 * i, lat0 + 0.0001 * i)
        for i in range(n)
    ]


def test_three_parts_out_of_order_merge_into_one_patrol(patrol_world):
    w = patrol_world
    user = w.staff.user
    patrol = patrol_start(actor=user, started_at=T0)
    pts = walk(30)
    first, second, third = pts[:10], pts[10:20], pts[20:]
    # The app crashed: the third part arrives first, then the first (as GPX), then the
    # second, which repeats two points of the first (same timestamps).
    assert track_add(actor=user, patrol=patrol, data=json.dumps(geojson(third, "MultiPoint"))) == 10
    # Starting again resumes the open patrol instead of creating a new one.
    assert patrol_start(actor=user).pk == patrol.pk
    assert track_add(actor=user, patrol=patrol, data=gpx(first), name="a.gpx") == 10
    assert track_add(actor=user, patrol=patrol, data=geojson(first[-2:] + second)) == 10
    patrol.refresh_from_db()
    assert Patrol.objects.filter(staff=w.staff).count() == 1
    assert patrol.point_count == 30 and patrol.status == PatrolStatus.OPEN
    times = list(TrackPoint.objects.filter(patrol=patrol).order_by("t").values_list("t", flat=True))
    assert times == [p[0] for p in pts]
    assert patrol.first_point_at == pts[0][0] and patrol.last_point_at == pts[-1][0]
    # Every point resolved to a leaf grid in bulk; all inside A1.
    assert set(TrackPoint.objects.filter(patrol=patrol).values_list("grid_id", flat=True)) == {
        w.a1.pk
    }
    # A late part after the end is still merged: the patrol is never voided.
    patrol_finish(actor=user, patrol=patrol, ended_at=pts[-1][0])
    late = walk(3, start=pts[-1][0] + dt.timedelta(minutes=1))
    assert track_add(actor=user, patrol=patrol, data=geojson(late)) == 3
    patrol.refresh_from_db()
    assert patrol.point_count == 33


def test_time_outside_own_grid_is_reported(patrol_world):
    w = patrol_world
    user = w.staff.user
    patrol = patrol_start(actor=user, started_at=T0)
    inside = walk(5)  # A1, 30 s apart
    out = [(T0 + dt.timedelta(seconds=150 + 60 * i), 122.23, 40.665) for i in range(4)]  # B1
    back = [(T0 + dt.timedelta(seconds=390), 122.205, 40.665)]
    track_add(actor=user, patrol=patrol, data=geojson(inside + out + back))
    patrol.refresh_from_db()
    # Four outside points: three 60 s steps and 60 s from the last to the return.
    assert patrol.outside_seconds == 240


BAD = [
    (b"<gpx><trk><trkseg><trkpt lat='40.66' lon='122.2'>", "XML"),
    (b'<gpx><trk><trkseg><trkpt lat="40.66" lon="122.2"></trkpt></trkseg></trk></gpx>', "时间"),
    (
        b'<gpx><trk><trkseg><trkpt lat="91" lon="122.2"><time>2026-03-02T08:00:00Z</time></trkpt></trkseg></trk></gpx>',
        "范围",
    ),
    (json.dumps({"type": "Polygon", "coordinates": []}).encode(), "LineString"),
    (json.dumps({"type": "LineString", "coordinates": [[122.2, 40.66]]}).encode(), "时间"),
    (
        json.dumps(
            {
                "type": "Feature",
                "properties": {"times": ["2026-03-02T08:00:00Z"]},
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[122.2, 40.66], [122.21, 40.66]],
                },
            }
        ).encode(),
        "times",
    ),
    (b"not a track", "GPX"),
]


@pytest.mark.parametrize(("data", "reason"), BAD)
def test_bad_track_refused_with_reason_writes_nothing(patrol_world, data, reason):
    w = patrol_world
    user = w.staff.user
    patrol = patrol_start(actor=user, started_at=T0)
    track_add(actor=user, patrol=patrol, data=geojson(walk(3)))
    audits = AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as exc:
        # a good point then a bad one in the same file: nothing of it is kept
        track_add(actor=user, patrol=patrol, data=data)
    assert exc.value.code == "track_invalid"
    assert reason in exc.value.message
    assert TrackPoint.objects.filter(patrol=patrol).count() == 3
    assert AuditEvent.objects.count() == audits
