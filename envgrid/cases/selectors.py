"""Reads for cases, transfers and disputes — each scoped by the caller first — and the
jurisdiction evidence (T5), the case timeline, the overdue register (T6) and the
timeliness counts the assessment reads."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from envgrid.core.models import AuditEvent
from envgrid.obligations.models import Obligation, ObligationStatus
from envgrid.org.models import Unit
from envgrid.org.selectors import actor_for

from .models import (
    Case,
    CaseSource,
    CaseStatus,
    JurisdictionDispute,
    Transfer,
    TransferStatus,
    TransferStep,
)
from .policies import case_policy, dispute_policy, transfer_policy

CASE_RELATED = ("owner_unit", "occurrence_grid", "proposed_unit", "discovered_by_unit")
TRANSFER_RELATED = (
    "case",
    "sender_unit",
    "receiver_unit",
    "copy_to_unit",
    "sender_handler",
    "receiver_handler",
)
FLAGS = ("suspected_crime", "detention_needed", "discipline_breach")


# ---- cases -------------------------------------------------------------------------------


def case_list(
    *,
    user: Any,
    status: str | Sequence[str] | None = None,
    source: str | None = None,
    grid: Any = None,
    flag: str | None = None,
    overdue: bool | None = None,
    owner_unit: Any = None,
    q: str | None = None,
) -> QuerySet:
    """Cases the user may see, filtered. `grid` includes its whole subtree."""
    qs = case_policy.scope(user).select_related(*CASE_RELATED)
    if status:
        qs = qs.filter(status__in=[status] if isinstance(status, str) else list(status))
    if source:
        qs = qs.filter(source=source)
    if grid is not None:
        qs = qs.filter(occurrence_grid__in=grid_subtree_ids(grid))
    if flag in FLAGS:
        qs = qs.filter(**{flag: True})
    if overdue is not None:
        qs = qs.filter(overdue=overdue)
    if owner_unit is not None:
        qs = qs.filter(owner_unit=owner_unit)
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(title__icontains=q) | Q(entity_name__icontains=q))
    return qs


SUBTREE_LITERAL_LIMIT = 5000


def grid_subtree_ids(grid: Any) -> Any:
    """Ids of a grid and its descendants. A literal list while it is small: PostgreSQL
    estimates a `path LIKE` subquery as one row and then plans the case scan badly
    (seconds at 1M cases); with the ids it uses the right index."""
    from envgrid.grids.models import Grid

    sub = Grid.objects.filter(path__startswith=grid.path).values_list("pk", flat=True)
    ids = list(sub[: SUBTREE_LITERAL_LIMIT + 1])
    return ids if len(ids) <= SUBTREE_LITERAL_LIMIT else sub


def case_get(*, user: Any, pk: Any) -> Case:
    return case_policy.get_visible(user, pk, Case.objects.select_related(*CASE_RELATED))


# ---- transfers ---------------------------------------------------------------------------


def transfer_list(
    *,
    user: Any,
    direction: str | None = None,
    status: str | Sequence[str] | None = None,
    transfer_type: str | None = None,
    year: int | None = None,
    overdue: bool | None = None,
    unit: Any = None,
) -> QuerySet:
    """Transfers the user may see. direction: "in" (to the user's unit), "out" (from it),
    "copy" (copied to it); `unit` narrows to one unit's in+out (office and admin)."""
    qs = transfer_policy.scope(user).select_related(*TRANSFER_RELATED)
    actor = actor_for(user)
    if direction in ("in", "out", "copy"):
        uid = actor.unit_id if unit is None else getattr(unit, "pk", unit)
        field_name = {"in": "receiver_unit_id", "out": "sender_unit_id", "copy": "copy_to_unit_id"}
        qs = qs.filter(**{field_name[direction]: uid})
    elif unit is not None:
        uid = getattr(unit, "pk", unit)
        qs = qs.filter(Q(sender_unit_id=uid) | Q(receiver_unit_id=uid))
    if status:
        qs = qs.filter(status__in=[status] if isinstance(status, str) else list(status))
    if transfer_type:
        qs = qs.filter(transfer_type=transfer_type)
    if year:
        qs = qs.filter(year=year)
    if overdue is not None:
        qs = qs.filter(overdue=overdue)
    return qs


def transfer_get(*, user: Any, pk: Any) -> Transfer:
    return transfer_policy.get_visible(user, pk, Transfer.objects.select_related(*TRANSFER_RELATED))


def dispute_list(*, user: Any, status: str | None = None) -> QuerySet:
    qs = dispute_policy.scope(user).select_related(
        "designating_unit", "designated_unit", "raised_by_unit", "common_grid", "suggested_unit"
    )
    if status:
        qs = qs.filter(status=status)
    return qs


def dispute_get(*, user: Any, pk: Any) -> JurisdictionDispute:
    return dispute_policy.get_visible(
        user,
        pk,
        JurisdictionDispute.objects.select_related(
            "designating_unit", "designated_unit", "raised_by_unit", "common_grid"
        ),
    )


# ---- jurisdiction (T5) ------------------------------------------------------------------


@dataclass
class FirstDiscovery:
    """Who discovered the matter first or received the report first, from the recorded
    timestamps, with the rows that show it (earliest first)."""

    cases: list[Case]
    tie: bool = False

    @property
    def case(self) -> Case | None:
        return None if self.tie or not self.cases else self.cases[0]

    @property
    def unit(self) -> Any:
        return self.case.owner_unit if self.case else None

    def as_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "case": c.number,
                "case_id": c.pk,
                "unit": c.owner_unit.name,
                "unit_id": c.owner_unit_id,
                "discovered_by": c.discovered_by_unit.name,
                "discovered_at": c.discovered_at.isoformat(),
                "reported_at": c.reported_at.isoformat() if c.reported_at else None,
                "first_known_at": c.first_known_at.isoformat(),
                "registered_at": c.registered_at.isoformat(),
            }
            for c in self.cases
        ]


def jurisdiction_first(cases: Iterable[Case]) -> FirstDiscovery:
    """T5: of several grid units' cases on one matter, the first to discover it or to
    receive the report has it. Equal earliest times are a tie: nobody wins, and the
    dispute goes to the common parent grid's unit."""
    cases = list(cases)
    # A case received by transfer repeats its source's discovery: keep one of the two
    # (the live, received one), so a copy never ties with its original.
    by_pk = {c.pk for c in cases}
    copied = {
        c.origin_transfer.case_id
        for c in cases
        if c.origin_transfer_id and c.origin_transfer and c.origin_transfer.case_id in by_pk
    }
    ordered = sorted(
        (c for c in cases if c.pk not in copied), key=lambda c: (c.first_known_at, c.pk)
    )
    owners = {c.owner_unit_id for c in ordered}
    tie = (
        len(ordered) > 1
        and len(owners) > 1
        and ordered[0].first_known_at == ordered[1].first_known_at
        and ordered[0].owner_unit_id != ordered[1].owner_unit_id
    )
    return FirstDiscovery(cases=ordered, tie=tie)


def case_same_matter(case: Case) -> QuerySet:
    related = (*CASE_RELATED, "origin_transfer")
    if case.matter_key is None:
        return Case.objects.filter(pk=case.pk).select_related(*related)
    return Case.objects.filter(matter_key=case.matter_key).select_related(*related)


@dataclass
class JurisdictionProposal:
    grid: Any
    chain: list[Any]
    proposed_unit: Any
    owner_is_proposed: bool
    within_jurisdiction: bool
    first: FirstDiscovery
    note: str


def jurisdiction_proposal(case: Case) -> JurisdictionProposal:
    """What the system proposes for a case: the owner of the lowest grid containing the
    place of the act, and — for cases on the same matter — the first discoverer."""
    from envgrid.grids.models import Grid

    grid = case.occurrence_grid
    chain: list[Any] = []
    if grid is not None:
        ids = [int(x) for x in grid.path.strip("/").split("/") if x]
        by_id = Grid.objects.select_related("owner_unit").in_bulk(ids)
        chain = [by_id[i] for i in ids if i in by_id]
    first = jurisdiction_first(case_same_matter(case).exclude(status=CaseStatus.WITHDRAWN))

    outside = outside_jurisdiction(case)
    upper = next((g for g in chain if g.owner_unit_id == case.owner_unit_id), None)
    if case.lon is None:
        note = _("未标注违法行为发生地坐标，无法按网格确定管辖。")
    elif grid is None:
        note = _("发生地不在任何网格内。")
    elif case.proposed_unit_id == case.owner_unit_id:
        note = _("发生地网格属本单位管辖。")
    elif outside:
        note = _("发生地网格不属本单位管辖，应移送有管辖权的单位（T1）。")
    elif upper is not None:
        note = _("发生地在本单位网格“%(g)s”范围内，下级网格单位为 %(u)s。") % {
            "g": upper.name,
            "u": case.proposed_unit.name if case.proposed_unit else "",
        }
    else:
        note = _("本单位不是网格主体，按职能管辖；发生地网格单位为 %(u)s。") % {
            "u": case.proposed_unit.name if case.proposed_unit else ""
        }
    return JurisdictionProposal(
        grid=grid,
        chain=chain,
        proposed_unit=case.proposed_unit,
        owner_is_proposed=case.proposed_unit_id == case.owner_unit_id,
        within_jurisdiction=not outside,
        first=first,
        note=note,
    )


# ---- the case timeline ------------------------------------------------------------------


AUDIT_LABELS = {
    "case.evidence_add": gettext_lazy("上传证据材料"),
    "case.evidence_copy": gettext_lazy("接收移送材料副本"),
    "case.update": gettext_lazy("修改案件信息"),
    "case.criminal_decide": gettext_lazy("作出是否移送司法机关的决定"),
    "case.link_same_matter": gettext_lazy("关联同一事项案件"),
    "case.dispute_raise": gettext_lazy("报请指定管辖"),
    "case.move": gettext_lazy("经指定管辖，案件移交被指定单位"),
    "case.crime_flag_carry": gettext_lazy("经指定管辖，沿用同一事项案件的涉嫌犯罪标记"),
}


@dataclass
class TimelineItem:
    at: dt.datetime
    kind: str  # status | transfer | obligation | audit
    text: str
    detail: str = ""
    link: str = ""
    late: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def case_transfers(case: Case) -> QuerySet:
    """Transfers out of this case and the one it was received by."""
    return Transfer.objects.filter(
        Q(case=case) | Q(pk=case.origin_transfer_id or 0)
    ).select_related(*TRANSFER_RELATED)


def case_obligations(case: Case) -> QuerySet:
    ct_case = ContentType.objects.get_for_model(Case)
    ct_transfer = ContentType.objects.get_for_model(Transfer)
    tids = [str(pk) for pk in case_transfers(case).values_list("pk", flat=True)]
    return (
        Obligation.objects.filter(
            Q(subject_type=ct_case, subject_id=str(case.pk))
            | Q(subject_type=ct_transfer, subject_id__in=tids)
        )
        .select_related("unit", "person")
        .order_by("created_at", "id")
    )


def case_timeline(case: Case) -> list[TimelineItem]:
    """One timeline: status history, transfers (their own histories), obligations and
    the audit events of the case, oldest first."""
    from .workflow import CASE_TRANSITIONS, TRANSFER_TRANSITIONS

    items: list[TimelineItem] = []
    for ch in case.status_changes.select_related("actor").all():
        label = CASE_TRANSITIONS[ch.action].label if ch.action in CASE_TRANSITIONS else ch.action
        items.append(
            TimelineItem(
                at=ch.at,
                kind="status",
                text=f"{label} → {CaseStatus(ch.to_status).label}",
                detail=ch.note,
                extra={"actor": ch.actor.get_username() if ch.actor else ""},
            )
        )
    for t in case_transfers(case).prefetch_related("status_changes"):
        for ch in t.status_changes.all():
            label = (
                TRANSFER_TRANSITIONS[ch.action].label
                if ch.action in TRANSFER_TRANSITIONS
                else ch.action
            )
            # A return and a feedback go from the receiver back to the sender (issue 20:
            # the timeline showed a return in the direction of the transfer).
            ends = (t.sender_unit.name, t.receiver_unit.name)
            if ch.action in ("return", "feedback"):
                ends = ends[::-1]
            items.append(
                TimelineItem(
                    at=ch.at,
                    kind="transfer",
                    text=_("移送 %(n)s：%(a)s（%(from)s → %(to)s）")
                    % {"n": t.number, "a": label, "from": ends[0], "to": ends[1]},
                    detail=ch.note,
                    link=t.get_absolute_url(),
                )
            )
    now = timezone.now()
    for ob in case_obligations(case):
        late = ob.is_late
        items.append(
            TimelineItem(
                at=ob.started_at,
                kind="obligation",
                text=_("时限：%(t)s，%(u)s，截止 %(d)s")
                % {
                    "t": ob.title,
                    "u": ob.unit.name,
                    "d": timezone.localtime(ob.due_at).strftime("%Y-%m-%d %H:%M"),
                },
                detail=f"{ob.rule_text} · {ob.get_status_display()}"
                + (_("（逾期）") if late else ""),
                late=late,
            )
        )
        if ob.completed_at and ob.completed_at <= now:
            items.append(
                TimelineItem(
                    at=ob.completed_at,
                    kind="obligation",
                    text=_("办结时限事项：%(t)s") % {"t": ob.title},
                    detail=_("逾期办结") if ob.completed_late else _("按时办结"),
                    late=ob.completed_late,
                )
            )
    # Status moves are already on the timeline; the audit adds the other writes.
    status_actions = {f"case.{a}" for a in CASE_TRANSITIONS}
    for ev in AuditEvent.objects.filter(
        object_type=Case._meta.label_lower, object_id=str(case.pk)
    ).order_by("seq"):
        if ev.action in status_actions:
            continue
        label = AUDIT_LABELS.get(ev.action, ev.action)
        items.append(
            TimelineItem(
                at=ev.at,
                kind="audit",
                text=_("记录：%(a)s") % {"a": label},
                detail=_("操作人 %(u)s · 审计序号 %(s)s") % {"u": ev.actor_repr, "s": ev.seq},
            )
        )
    items.sort(key=lambda i: i.at)
    return items


# ---- T6: the overdue register and timeliness ---------------------------------------------

CATEGORY_STEPS: dict[str, tuple[str, ...]] = {
    # 不按照规定及时移送案件 — transfers not made in time
    "made": (TransferStep.MAKE, TransferStep.HANDOVER),
    # 不及时处理移送案件 — transfers not handled in time
    "handled": (TransferStep.DECIDE, TransferStep.HANDLE),
    # feedback of the result late
    "feedback": (TransferStep.FEEDBACK,),
}
CATEGORY_LABELS = {
    "made": gettext_lazy("未及时移送"),
    "handled": gettext_lazy("未及时处理移送"),
    "feedback": gettext_lazy("未及时反馈"),
}


def category_of(kind: str) -> str | None:
    parts = kind.split(".")
    if len(parts) < 2 or parts[0] != "transfer":
        return None
    for cat, steps in CATEGORY_STEPS.items():
        if parts[1] in steps:
            return cat
    return None


def _kind_q(category: str | None) -> Q:
    cats = [category] if category in CATEGORY_STEPS else list(CATEGORY_STEPS)
    q = Q()
    for cat in cats:
        for step in CATEGORY_STEPS[cat]:
            q |= Q(kind__startswith=f"transfer.{step}.")
    return q


def _late_q(now: dt.datetime) -> Q:
    return (
        Q(status=ObligationStatus.OVERDUE)
        | Q(completed_late=True)
        | Q(status=ObligationStatus.OPEN, due_at__lt=now)
    )


@dataclass
class OverdueRow:
    obligation: Obligation
    category: str
    category_label: str
    unit: Any
    person: Any
    due_at: dt.datetime
    completed_at: dt.datetime | None
    still_open: bool
    days_late: float
    link: str


def overdue_register(
    *,
    user: Any,
    category: str | None = None,
    unit: Any = None,
    year: int | None = None,
    state: str | None = None,
) -> list[OverdueRow]:
    """T6: transfers not made in time, not handled in time, feedback late — with the unit
    and the person responsible. state: "open" (still overdue) or "late" (done late)."""
    from envgrid.obligations.policies import obligation_policy

    now = timezone.now()
    qs = (
        obligation_policy.scope(user)
        .filter(_kind_q(category))
        .filter(_late_q(now))
        .exclude(status=ObligationStatus.CANCELLED)
        .select_related("unit", "person")
        .order_by("-due_at", "-id")
    )
    if unit is not None:
        qs = qs.filter(unit_id=getattr(unit, "pk", unit))
    if year:
        qs = qs.filter(due_at__year=year)
    if state == "open":
        qs = qs.exclude(status=ObligationStatus.DONE)
    elif state == "late":
        qs = qs.filter(status=ObligationStatus.DONE)
    rows = []
    for ob in qs:
        cat = category_of(ob.kind) or ""
        end = ob.completed_at or now
        rows.append(
            OverdueRow(
                obligation=ob,
                category=cat,
                category_label=str(CATEGORY_LABELS.get(cat, "")),
                unit=ob.unit,
                person=ob.person,
                due_at=ob.due_at,
                completed_at=ob.completed_at,
                still_open=ob.status != ObligationStatus.DONE,
                days_late=round(max(0.0, (end - ob.due_at).total_seconds() / 86400), 1),
                link=ob.link,
            )
        )
    return rows


def transfer_timeliness(
    *, year: int, units: Iterable[Any] | None = None, user: Any = None
) -> dict[int, dict[str, dict[str, int]]]:
    """For assessment (A, T6): per unit, for obligations falling due in `year`, how many
    transfers made / transfers handled / feedbacks were on time, late, or still pending
    (open and not yet due). Cancelled items do not count.

    Returns {unit_id: {"made": {"on_time": n, "late": n, "pending": n}, "handled": {...},
    "feedback": {...}}}; units with nothing due are absent unless listed in `units`.
    With `user`, only units that user may see are counted."""
    from envgrid.obligations.policies import obligation_policy

    now = timezone.now()
    qs = Obligation.objects.all() if user is None else obligation_policy.scope(user)
    qs = qs.filter(_kind_q(None), due_at__year=year).exclude(status=ObligationStatus.CANCELLED)
    unit_ids = None
    if units is not None:
        unit_ids = [getattr(u, "pk", u) for u in units]
        qs = qs.filter(unit_id__in=unit_ids)
    result: dict[int, dict[str, dict[str, int]]] = defaultdict(
        lambda: {c: {"on_time": 0, "late": 0, "pending": 0} for c in CATEGORY_STEPS}
    )
    for uid in unit_ids or []:
        result[uid]
    for unit_id, kind, status, completed_late, due_at in qs.values_list(
        "unit_id", "kind", "status", "completed_late", "due_at"
    ):
        cat = category_of(kind)
        if cat is None:
            continue
        if status == ObligationStatus.DONE:
            bucket = "late" if completed_late else "on_time"
        elif status == ObligationStatus.OVERDUE or due_at < now:
            bucket = "late"
        else:
            bucket = "pending"
        result[unit_id][cat][bucket] += 1
    return dict(result)


# ---- choices for forms --------------------------------------------------------------------


def source_choices() -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in CaseSource.choices]


def transfer_status_choices() -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in TransferStatus.choices]


def place_resolve(lon: float | None, lat: float | None) -> tuple[Any, Unit | None]:
    """The lowest grid containing the place of the act and its owner: the proposed
    responsible unit (T5). (None, None) when the point is missing or outside every grid."""
    if lon is None or lat is None:
        return None, None
    from envgrid.grids.selectors import grid_resolve

    result = grid_resolve(lon, lat)
    if result.grid is None:
        return None, None
    return result.grid, result.grid.owner_unit


def outside_jurisdiction(case: Case) -> bool:
    """T1 applies to a grid unit that found a case outside its grids: neither the lowest
    grid containing the place nor any of its ancestors is owned by the case's unit.
    A unit owning a parent grid has jurisdiction over its subtree; a unit owning no grid
    (a functional department) has subject-matter, not territorial, jurisdiction, so the
    location alone does not oblige it to transfer."""
    from envgrid.grids.models import Grid

    grid = case.occurrence_grid
    if grid is None or case.proposed_unit_id == case.owner_unit_id:
        return False
    owned = Grid.objects.filter(owner_unit_id=case.owner_unit_id, is_active=True)
    if not owned.exists():
        return False
    chain = [int(x) for x in grid.path.strip("/").split("/") if x] or [grid.pk]
    return not owned.filter(pk__in=chain).exists()


def can_decide_crime_flag_clearance(actor: Any, case: Case) -> bool:
    """The office (or a leader) overseeing the case's unit decides, never the unit itself."""
    acting = actor_for(actor)
    if acting.is_admin:
        return True
    if case.owner_unit_id not in acting.overseen_unit_ids():
        return False
    return acting.is_leader or (acting.is_office and acting.unit_id != case.owner_unit_id)


# ---- transfers -------------------------------------------------------------------------


def _case_materials(case: Case) -> dict[str, Any]:
    """What goes with a transfer (T3): the case's facts and particulars as they are now."""
    return {
        "number": case.number,
        "title": case.title,
        "source": case.source,
        "source_label": str(CaseSource(case.source).label),
        "address": case.address,
        "lon": case.lon,
        "lat": case.lat,
        "occurrence_grid": str(case.occurrence_grid) if case.occurrence_grid_id else "",
        "proposed_unit": case.proposed_unit.name if case.proposed_unit else "",
        "discovered_at": case.discovered_at.isoformat(),
        "discovered_by_unit": case.discovered_by_unit.name,
        "discovered_by_unit_id": case.discovered_by_unit_id,
        "reported_at": case.reported_at.isoformat() if case.reported_at else None,
        "description": case.description,
        "entity_id": case.entity_id,
        "entity_name": case.responsible_entity,
        "entity_uscc": case.entity_uscc,
        "responsible_person": case.responsible_person,
        "facts": case.facts,
        "suspected_crime": case.suspected_crime,
        "detention_needed": case.detention_needed,
        "discipline_breach": case.discipline_breach,
        "handling_result": case.handling_result,
    }


def transfer_conditions(case: Case) -> list[tuple[str, str, bool]]:
    """T3, condition by condition: (field, what is required, met?). The transfer form shows
    this list with ✓/✗; `transfer_create` refuses while one is not met."""
    return [
        ("facts", _("违法事实清楚"), bool(case.facts.strip())),
        ("evidence", _("附有证据材料"), case.evidence.exists()),
        ("responsible_person", _("明确违法责任人"), bool(case.responsible_person.strip())),
        ("entity", _("明确违法主体"), bool(case.responsible_entity.strip())),
    ]


# ---- jurisdiction disputes (T5) -------------------------------------------------------


def _party_grid(unit: Unit, place_chains: list[list[Any]]) -> Any:
    """The grid that stands for a party: one it owns on the chain of the disputed place
    (lowest first), else the top-most grid it owns."""
    from envgrid.grids.models import Grid

    for chain in place_chains:
        for g in reversed(chain):
            if g.owner_unit_id == unit.pk:
                return g
    return Grid.objects.filter(owner_unit=unit, is_active=True).order_by("level", "path").first()


def dispute_designator(parties: Sequence[Unit], cases: Sequence[Case]) -> tuple[Any, Unit | None]:
    """The lowest common parent grid of the parties' grids and its owner unit (T5).
    A common grid that is itself a party's grid is not "above" that party: go one up."""
    from envgrid.grids.models import Grid
    from envgrid.grids.selectors import lowest_common_ancestor

    chains = []
    for c in cases:
        if c.occurrence_grid is not None:
            ids = [int(x) for x in c.occurrence_grid.path.strip("/").split("/") if x]
            by_id = Grid.objects.in_bulk(ids)
            chains.append([by_id[i] for i in ids if i in by_id])
    grids = [_party_grid(u, chains) for u in parties]
    if any(g is None for g in grids) or not grids:
        return None, None
    common = grids[0]
    for g in grids[1:]:
        common = lowest_common_ancestor(common, g)
        if common is None:
            return None, None
    party_ids = {u.pk for u in parties}
    while common is not None and common.owner_unit_id in party_ids:
        common = common.parent
    if common is None:
        return None, None
    return common, common.owner_unit
