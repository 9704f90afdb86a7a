"""I4 timeliness: a major adjustment is published within a configurable number of working
days, each of the six public items is refreshed at least every period (obligations on
the office that go overdue into the register and the overview), and the portal shows
each item's last update. Time is frozen for every deadline."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from envgrid.core.errors import PermissionDeniedError
from envgrid.disclosure import services
from envgrid.disclosure.models import Publication, PublicationKind
from envgrid.disclosure.timeliness import (
    ADJUSTMENT_PUBLISH_KIND,
    REFRESH_PREFIX,
    refresh_rule_set,
)
from envgrid.obligations.models import Obligation, ObligationStatus
from envgrid.obligations.services import sweep

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=SH)


def publish(pub, w):
    services.publication_review(actor=w.director.user, publication=pub)
    return services.publication_publish(actor=w.director.user, publication=pub)


def _adjust(district):
    from envgrid.grids.models import MajorAdjustment
    from envgrid.grids.services import grid_assign

    w = district.world
    grid_assign(
        actor=w.admin,
        grid=district.west,
        role="head",
        person=w.member_staff[0],
        major=True,
        summary="西部街道网格长调整",
    )
    return MajorAdjustment.objects.get(grid=district.west)


def test_I4_major_adjustment_published_within_configured_working_days(district, settings):
    settings.ENVGRID_DISCLOSURE_TIMELINESS = {"ADJUSTMENT_PUBLISH_WORKDAYS": 3}
    w = district.world
    with time_machine.travel(at(2026, 3, 2, 10, 0), tick=False):  # Monday
        adj = _adjust(district)
    ob = Obligation.objects.get(kind=ADJUSTMENT_PUBLISH_KIND, subject_id=str(adj.pk))
    assert ob.unit == w.office_unit
    assert ob.due_at.astimezone(SH) == at(2026, 3, 5, 23, 59, 59)
    with time_machine.travel(at(2026, 3, 6, 9, 0), tick=False):
        sweep()
        ob.refresh_from_db()
        assert ob.status == ObligationStatus.OVERDUE
        publish(Publication.objects.get(kind=PublicationKind.ADJUSTMENT), w)
    ob.refresh_from_db()
    assert ob.status == ObligationStatus.DONE
    assert ob.completed_late is True


def test_I4_major_adjustment_published_in_time_is_done_on_time(district):
    w = district.world
    with time_machine.travel(at(2026, 3, 2, 10, 0), tick=False):
        adj = _adjust(district)
    with time_machine.travel(at(2026, 3, 27, 10, 0), tick=False):  # 20th working day
        publish(Publication.objects.get(kind=PublicationKind.ADJUSTMENT), w)
    ob = Obligation.objects.get(kind=ADJUSTMENT_PUBLISH_KIND, subject_id=str(adj.pk))
    assert ob.status == ObligationStatus.DONE
    assert ob.completed_late is False


def test_I4_public_item_refresh_period_goes_overdue_then_restarts_on_publish(district, client):
    w = district.world
    with time_machine.travel(at(2026, 1, 5, 9, 0), tick=False):
        with pytest.raises(PermissionDeniedError):
            refresh_rule_set(
                actor=w.member_staff[0].user, unit=w.office_unit, kind="division", every_days=30
            )
        rr = refresh_rule_set(
            actor=w.director.user, unit=w.office_unit, kind="division", every_days=30
        )
    kind = REFRESH_PREFIX + "division"
    ob = Obligation.objects.get(kind=kind)
    assert ob.unit == w.office_unit
    assert ob.due_at.astimezone(SH) == at(2026, 2, 4, 23, 59, 59)
    with time_machine.travel(at(2026, 2, 5, 9, 0), tick=False):
        sweep()
    ob.refresh_from_db()
    assert ob.status == ObligationStatus.OVERDUE
    client.force_login(w.director.user)
    assert (
        "更新公开信息：网格划分和建设情况" in client.get("/obligations/register/").content.decode()
    )
    with time_machine.travel(at(2026, 2, 10, 9, 0), tick=False):
        pub = services.publication_draft_division(actor=w.office_staff.user, unit=w.office_unit)
        publish(pub, w)
    ob.refresh_from_db()
    assert ob.status == ObligationStatus.DONE
    nxt = Obligation.objects.get(kind=kind, status=ObligationStatus.OPEN)
    assert nxt.subject_id == str(rr.pk)
    assert nxt.due_at.astimezone(SH) == at(2026, 3, 12, 23, 59, 59)


def test_I4_portal_shows_each_public_items_last_update(district, client):
    w = district.world
    with time_machine.travel(at(2026, 2, 10, 9, 0), tick=False):
        publish(
            services.publication_draft_division(actor=w.office_staff.user, unit=w.office_unit), w
        )
    page = client.get("/disclosure/").content.decode()
    assert "各项公开信息最近更新" in page
    assert '<td>网格划分和建设情况</td><td><time datetime="2026-02-10' in page
    assert page.count("尚未发布") == 5


def test_I4_overview_counts_timeliness_items(district):
    from envgrid.reporting.metrics import metrics

    w = district.world
    with time_machine.travel(at(2026, 3, 2, 10, 0), tick=False):
        _adjust(district)
    metric = {m.key: m for m in metrics()}["timeliness"]
    rows = metric.queryset(w.director.user, at(2026, 4, 1))
    assert sorted(rows.values_list("kind", flat=True)) == [
        "adjustment.publish",
        "adjustment.report",
    ]
    assert metric.queryset(w.outsider.user, at(2026, 4, 1)).count() == 0


def test_I4_refresh_rule_holds_one_live_obligation_without_a_sweep_hook(district):
    """The refresh duty is kept by its own services (no sweep catch-up): an active rule has
    exactly one live obligation after being set, after a publication, after a new period,
    none once deactivated, one again when reactivated; a sweep adds nothing."""
    from envgrid.obligations.registry import sweep_hooks

    w = district.world
    kind = REFRESH_PREFIX + "division"

    def live():
        return list(
            Obligation.objects.filter(
                kind=kind, status__in=[ObligationStatus.OPEN, ObligationStatus.OVERDUE]
            )
        )

    assert not any(
        getattr(h, "__module__", "").startswith("envgrid.disclosure") for h in sweep_hooks()
    )
    with time_machine.travel(at(2026, 1, 5, 9, 0), tick=False):
        refresh_rule_set(actor=w.director.user, unit=w.office_unit, kind="division", every_days=30)
        assert len(live()) == 1
    with time_machine.travel(at(2026, 1, 20, 9, 0), tick=False):
        pub = services.publication_draft_division(actor=w.office_staff.user, unit=w.office_unit)
        publish(pub, w)
        (ob,) = live()
        assert ob.due_at.astimezone(SH) == at(2026, 2, 19, 23, 59, 59)
        refresh_rule_set(actor=w.director.user, unit=w.office_unit, kind="division", every_days=60)
        (ob,) = live()
        assert ob.due_at.astimezone(SH) == at(2026, 3, 21, 23, 59, 59)
        refresh_rule_set(
            actor=w.director.user, unit=w.office_unit, kind="division", is_active=False
        )
        assert live() == []
        sweep()
        assert live() == []
        refresh_rule_set(actor=w.director.user, unit=w.office_unit, kind="division")
        sweep()
        assert len(live()) == 1
