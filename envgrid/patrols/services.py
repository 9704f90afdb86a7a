"""Writes for patrols (issue 10). Keyword-only, atomic, audited; a refused rule raises an
ApplicationError with a stable code and writes nothing.

A patrol is never voided: starting while one is open resumes it, track parts and checks
are accepted after an interruption (and late parts after the end), and parts merge by
time with identical timestamps kept once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.errors import ApplicationError, PermissionDeniedError
from envgrid.core.safeparse import ParseFailed, run_isolated
from envgrid.entities.models import EntityCategory, SupervisedEntity
from envgrid.grids.models import Grid, GridAssignment, GridRole
from envgrid.grids.selectors import grid_resolve_many
from envgrid.org.models import Person, PersonRole
from envgrid.org.selectors import actor_for

from .files import store_photo
from .models import (
    CheckResult,
    Patrol,
    PatrolCheck,
    PatrolPhoto,
    PatrolPlan,
    PatrolStatus,
    PlanRequirement,
    TrackPoint,
)
from .policies import can_set_plan, patrol_policy
from .tracks import Point, parse_track
from .workflow import patrol_transition

# A gap between two points longer than this (lost signal) is not counted as time anywhere.
MAX_GAP_SECONDS = 600
# A check without its own position takes the nearest track point within this window.
CHECK_POSITION_WINDOW = dt.timedelta(minutes=10)
BATCH = 5000
MAX_EVERY_DAYS = 366


def _person(actor: Any) -> Person:
    person = actor_for(actor).person
    if person is None:
        raise PermissionDeniedError(_("只有网格人员可以巡查。"), code="not_grid_staff")
    return person


def staff_grids(person: Person) -> list[Grid]:
    """The grids a person patrols: named in a plan, or a current grid staff assignment."""
    ids = set(PatrolPlan.objects.filter(staff=person).values_list("grid_id", flat=True))
    ids |= set(
        GridAssignment.objects.filter(
            person=person, role=GridRole.STAFF, ended_at__isnull=True
        ).values_list("grid_id", flat=True)
    )
    return list(Grid.objects.filter(pk__in=ids))


def subtree_ids(grid: Grid) -> set[int]:
    return set(Grid.objects.filter(path__startswith=grid.path).values_list("pk", flat=True))


def plan_staff_candidates(grid: Grid) -> list[Person]:
    """Who may be named in a grid's plan: its current grid staff, the grid staff of its
    owner unit, and whoever the plan names already; active persons only."""
    assigned = GridAssignment.objects.filter(
        grid=grid, role=GridRole.STAFF, ended_at__isnull=True
    ).values("person_id")
    q = Q(pk__in=assigned) | Q(unit_id=grid.owner_unit_id, role=PersonRole.GRID)
    plan = PatrolPlan.objects.filter(grid=grid).first()
    if plan is not None:
        q |= Q(pk__in=plan.staff.values("pk"))
    return list(Person.objects.filter(q, is_active=True).order_by("name", "pk"))


@transaction.atomic
def plan_set(
    *,
    actor: Any,
    grid: Grid,
    staff: Iterable[Person] = (),
    every_days: dict[str, Any] | None = None,
    notes: str | None = None,
) -> PatrolPlan:
    """Set a grid's patrol plan: the staff assigned and the days between checks per entity
    category. `every_days` replaces the plan's own frequencies; a category left out (or
    blank) falls back to the default (DEFAULT_EVERY_DAYS). Who may: policies.can_set_plan."""
    if not can_set_plan(actor, grid):
        raise PermissionDeniedError(_("无权设置该网格的巡查计划。"), code="plan_forbidden")
    errors: dict[str, list[str]] = {}
    days_by_cat: dict[str, int] = {}
    for cat, raw in (every_days or {}).items():
        if cat not in EntityCategory.values:
            errors[str(cat)] = [_("未知的监管对象类别")]
            continue
        if raw is None or str(raw).strip() == "":
            continue
        try:
            days = int(str(raw).strip())
        except ValueError:
            days = 0
        if not 1 <= days <= MAX_EVERY_DAYS:
            errors[cat] = [_("须为 1 至 %(max)d 之间的整数天数") % {"max": MAX_EVERY_DAYS}]
        else:
            days_by_cat[cat] = days
    people = list(staff)
    allowed = {p.pk for p in plan_staff_candidates(grid)}
    outsiders = [p for p in people if p.pk not in allowed]
    if outsiders:
        errors["staff"] = [_("%(name)s 不是该网格的网格员") % {"name": p.name} for p in outsiders]
    if errors:
        raise ApplicationError(_("巡查计划有误，未保存。"), code="plan_invalid", fields=errors)
    plan, created = PatrolPlan.objects.select_for_update().get_or_create(grid=grid)
    before = (
        None
        if created
        else {
            "staff": sorted(plan.staff.values_list("pk", flat=True)),
            "every_days": {r.category: r.every_days for r in plan.requirements.all()},
            "notes": plan.notes,
        }
    )
    plan.staff.set(people)
    plan.requirements.exclude(category__in=list(days_by_cat)).delete()
    for cat, days in days_by_cat.items():
        PlanRequirement.objects.update_or_create(
            plan=plan, category=cat, defaults={"every_days": days}
        )
    if notes is not None:
        plan.notes = notes
    plan.save()
    audit_record(
        actor=actor,
        action="patrol.plan_set",
        obj=plan,
        before=before,
        after={
            "staff": sorted(p.pk for p in people),
            "every_days": days_by_cat,
            "notes": plan.notes,
        },
    )
    return plan


@transaction.atomic
def patrol_start(
    *, actor: Any, grid: Grid | None = None, started_at: dt.datetime | None = None
) -> Patrol:
    """Start a patrol, or resume the one still open (an interrupted patrol is never lost)."""
    person = _person(actor)
    open_patrol = (
        Patrol.objects.select_for_update()
        .filter(staff=person, status=PatrolStatus.OPEN)
        .order_by("-started_at")
        .first()
    )
    if open_patrol is not None and (grid is None or open_patrol.grid_id == grid.pk):
        audit_record(actor=actor, action="patrol.resume", obj=open_patrol)
        return open_patrol
    grids = staff_grids(person)
    if grid is None:
        if not grids:
            raise ApplicationError(
                _("您没有负责的网格，不能开始巡查。"), code="no_grid", status=403
            )
        grid = grids[0]
    elif grid.pk not in {g.pk for g in grids}:
        raise PermissionDeniedError(_("只能巡查本人负责的网格。"), code="grid_not_own")
    patrol = Patrol.objects.create(staff=person, grid=grid, started_at=started_at or timezone.now())
    audit_record(actor=actor, action="patrol.start", obj=patrol, after=snapshot(patrol))
    return patrol


def _require_change(actor: Any, patrol: Patrol) -> None:
    patrol_policy.require_change(actor, patrol, _("只有巡查人员本人可以修改巡查记录。"))


def merge_points(patrol: Patrol, points: Sequence[Point]) -> int:
    """Insert points (any order) into the patrol's track; identical timestamps are kept
    once. Resolves the new points to grids in bulk and refreshes the patrol's figures.
    Returns the number of points added."""
    before = TrackPoint.objects.filter(patrol=patrol).count()
    rows = [TrackPoint(patrol=patrol, t=t, lon=x, lat=y) for t, x, y in points]
    for i in range(0, len(rows), BATCH):
        TrackPoint.objects.bulk_create(rows[i : i + BATCH], ignore_conflicts=True)
    resolve_pending(patrol)
    track_refresh(patrol)
    return patrol.point_count - before


def resolve_pending(patrol: Patrol) -> None:
    pending = list(
        TrackPoint.objects.filter(patrol=patrol, grid_id__isnull=True).only("id", "lon", "lat")
    )
    if not pending:
        return
    ids = grid_resolve_many(np.array([p.lon for p in pending]), np.array([p.lat for p in pending]))
    for p, gid in zip(pending, ids, strict=True):
        p.grid_id = int(gid)
    TrackPoint.objects.bulk_update(pending, ["grid_id"], batch_size=BATCH)


def outside_seconds(times: Sequence[dt.datetime], inside: Sequence[bool]) -> int:
    """Seconds from each point outside to the next point, gaps over MAX_GAP_SECONDS skipped."""
    total = 0.0
    for i in range(len(times) - 1):
        if inside[i]:
            continue
        gap = (times[i + 1] - times[i]).total_seconds()
        if gap <= MAX_GAP_SECONDS:
            total += gap
    return int(total)


def track_refresh(patrol: Patrol) -> None:
    agg = TrackPoint.objects.filter(patrol=patrol).aggregate(
        n=Count("id"), first=Min("t"), last=Max("t")
    )
    own = subtree_ids(patrol.grid)
    rows = list(TrackPoint.objects.filter(patrol=patrol).order_by("t").values_list("t", "grid_id"))
    patrol.point_count = agg["n"] or 0
    patrol.first_point_at = agg["first"]
    patrol.last_point_at = agg["last"]
    patrol.outside_seconds = outside_seconds([r[0] for r in rows], [r[1] in own for r in rows])
    patrol.save(
        update_fields=[
            "point_count",
            "first_point_at",
            "last_point_at",
            "outside_seconds",
            "updated_at",
        ]
    )


@transaction.atomic
def track_add(*, actor: Any, patrol: Patrol, data: bytes | str | dict, name: str = "") -> int:
    """Add one part of the GPS track (GPX or GeoJSON). Parts may come in any order and
    after the end of the patrol; a bad part is refused whole. Returns points added."""
    _require_change(actor, patrol)
    if isinstance(data, dict):
        points = parse_track(data, name)
    else:
        # A file: parsed in a child process with memory and time limits (issue 16).
        try:
            points = run_isolated(parse_track, data, name)
        except ParseFailed as exc:
            raise ApplicationError(
                _("轨迹文件无效：%(reason)s") % {"reason": exc.message or exc.kind},
                code="track_invalid",
                fields={"file": [exc.message or exc.kind]},
            ) from None
    patrol = Patrol.objects.select_for_update().get(pk=patrol.pk)
    added = merge_points(patrol, points)
    audit_record(
        actor=actor,
        action="patrol.track_add",
        obj=patrol,
        after={"received": len(points), "added": added, "total": patrol.point_count},
    )
    return added


def _check_position(
    patrol: Patrol, at: dt.datetime, lon: float | None, lat: float | None
) -> tuple[float | None, float | None]:
    if lon is not None and lat is not None:
        return float(lon), float(lat)
    near = (
        TrackPoint.objects.filter(
            patrol=patrol, t__gte=at - CHECK_POSITION_WINDOW, t__lte=at + CHECK_POSITION_WINDOW
        )
        .order_by("t")
        .values_list("t", "lon", "lat")
    )
    best = min(near, key=lambda r: abs((r[0] - at).total_seconds()), default=None)
    return (best[1], best[2]) if best else (None, None)


def _outside(entity: SupervisedEntity, lon: float | None, lat: float | None) -> bool:
    if lon is None or lat is None or entity.grid is None:
        return False
    gid = int(grid_resolve_many(np.array([lon]), np.array([lat]))[0])
    if gid < 0:
        return True
    allowed = subtree_ids(entity.grid)
    return gid not in allowed


@transaction.atomic
def check_record(
    *,
    actor: Any,
    patrol: Patrol,
    entity: SupervisedEntity,
    result: str,
    notes: str = "",
    checked_at: dt.datetime | None = None,
    lon: float | None = None,
    lat: float | None = None,
) -> PatrolCheck:
    """Record the check of one entity. Its place (given, or the nearest track point)
    outside the entity's grid marks it `outside_grid`: reported, and not counted."""
    _require_change(actor, patrol)
    if result not in CheckResult.values:
        raise ApplicationError(
            _("未知的检查结果。"), code="result_invalid", fields={"result": [_("无效")]}
        )
    checked_at = checked_at or timezone.now()
    if checked_at > timezone.now() + dt.timedelta(minutes=5):
        raise ApplicationError(
            _("检查时间不能晚于当前时间。"), code="time_future", fields={"checked_at": [_("无效")]}
        )
    if checked_at < patrol.started_at:
        raise ApplicationError(
            _("检查时间早于巡查开始时间。"),
            code="time_before_start",
            fields={"checked_at": [_("无效")]},
        )
    plon, plat = _check_position(patrol, checked_at, lon, lat)
    check = PatrolCheck.objects.create(
        patrol=patrol,
        entity=entity,
        checked_at=checked_at,
        result=result,
        notes=notes,
        lon=plon,
        lat=plat,
        outside_grid=_outside(entity, plon, plat),
    )
    audit_record(actor=actor, action="patrol.check", obj=check, after=snapshot(check))
    return check


@transaction.atomic
def photo_attach(
    *, actor: Any, patrol: Patrol, upload: Any, check: PatrolCheck | None = None
) -> PatrolPhoto:
    _require_change(actor, patrol)
    if check is not None and check.patrol_id != patrol.pk:
        raise ApplicationError(_("检查不属于该巡查。"), code="check_mismatch")
    stored = store_photo(upload)
    photo = PatrolPhoto.objects.create(
        patrol=patrol,
        check_item=check,
        path=stored.path,
        original_name=str(getattr(upload, "name", "") or "photo")[:200],
        mime=stored.mime,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(actor=actor, action="patrol.photo", obj=photo, after=snapshot(photo))
    return photo


@transaction.atomic
def patrol_finish(
    *, actor: Any, patrol: Patrol, ended_at: dt.datetime | None = None, notes: str | None = None
) -> Patrol:
    _require_change(actor, patrol)
    patrol = Patrol.objects.select_for_update().get(pk=patrol.pk)
    if patrol.status == PatrolStatus.FINISHED:
        raise ApplicationError(_("巡查已结束。"), code="already_finished", status=409)
    ended_at = ended_at or max(timezone.now(), patrol.last_point_at or patrol.started_at)
    if ended_at < patrol.started_at:
        raise ApplicationError(
            _("结束时间早于开始时间。"), code="time_invalid", fields={"ended_at": [_("无效")]}
        )
    fields: dict[str, Any] = {"ended_at": ended_at}
    if notes is not None:
        fields["notes"] = notes
    return patrol_transition(patrol=patrol, action="finish", actor=actor, fields=fields)


@transaction.atomic
def check_to_case(*, actor: Any, check: PatrolCheck, title: str = "", facts: str = "") -> Any:
    """Turn a finding into a case in one step: source "patrol", discovered at the check's
    time, at the check's place (or the entity's), with the check's photos as evidence."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from envgrid.cases.services import case_create

    check = (
        PatrolCheck.objects.select_for_update().select_related("patrol", "entity").get(pk=check.pk)
    )
    _require_change(actor, check.patrol)
    if check.case_id is not None:
        raise ApplicationError(_("该问题已登记为案件。"), code="case_exists", status=409)
    if check.result != CheckResult.FINDING:
        raise ApplicationError(_("只有发现问题的检查可以登记案件。"), code="not_a_finding")
    entity = check.entity
    files = []
    for photo in check.photos.all():
        with default_storage.open(photo.path, "rb") as fh:
            files.append(ContentFile(fh.read(), name=photo.original_name))
    case = case_create(
        actor=actor,
        title=title or _("巡查发现：%(name)s") % {"name": entity.name},
        source="patrol",
        discovered_at=check.checked_at,
        discovered_by_person=check.patrol.staff,
        lon=check.lon if check.lon is not None else entity.lon,
        lat=check.lat if check.lat is not None else entity.lat,
        entity=entity,
        description=check.notes,
        facts=facts or check.notes,
        evidence_files=files,
    )
    check.case = case
    check.save(update_fields=["case", "updated_at"])
    audit_record(actor=actor, action="patrol.case", obj=check, after={"case": case.pk})
    return case
