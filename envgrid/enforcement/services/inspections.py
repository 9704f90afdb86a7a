"""Writes of inspections, photos and findings (SPEC E6), and a finding turned into a case."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.deadlines import local_date
from envgrid.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from envgrid.core.uploads import IMAGE_TYPES, UploadRule, check_upload
from envgrid.obligations.supervision import supervision_issue

from .. import rules
from ..models import (
    ActionOfficer,
    ActionStatus,
    ActionTarget,
    EnforcementAction,
    Finding,
    Inspection,
    InspectionPhoto,
)
from ..policies import action_policy
from ..workflow import action_transition, finding_transition
from ._common import _in_subtree, _link, _person, _require_open, _required
from .actions import _cert_message

# -- inspections, photos, findings ---------------------------------------------------


@dataclass
class PhotoUpload:
    name: str
    content: bytes
    mime: str
    extension: str
    sha256: str


def photo_check(upload: Any) -> PhotoUpload:
    """Content-checked upload (core.uploads): the bytes (not the name) must be an allowed
    image, within settings.FILE_UPLOAD_MAX_BYTES."""
    name = str(getattr(upload, "name", "") or "photo")[:200]
    types = {e: m for e, m in IMAGE_TYPES.items() if m in tuple(rules.get("PHOTO_MIME_TYPES"))}
    checked = check_upload(
        upload, UploadRule(purpose="inspection_photo", types=types, field="photos")
    )
    return PhotoUpload(
        name=name,
        content=checked.content,
        mime=checked.mime,
        extension=checked.ext,
        sha256=checked.sha256,
    )


def _store_photos(
    inspection: Inspection, photos: Sequence[PhotoUpload], actor: Any, stored: list[Any]
) -> list[InspectionPhoto]:
    rows = []
    for p in photos:
        row = InspectionPhoto(
            inspection=inspection,
            original_name=p.name,
            content_type=p.mime,
            size=len(p.content),
            sha256=p.sha256,
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        row.file.save(f"photo.{p.extension}", ContentFile(p.content), save=False)
        stored.append(row.file)
        row.save()
        rows.append(row)
    return rows


def _discard(stored: list[Any]) -> None:
    for f in stored:
        try:
            f.storage.delete(f.name)
        except OSError:
            pass


def _target_for(action: EnforcementAction, entity: Any) -> ActionTarget:
    direct = action.targets.filter(entity=entity).first()
    if direct is not None:
        return direct
    if entity.grid_id:
        grid = entity.grid
        for area in action.targets.filter(entity__isnull=True).select_related("grid"):
            if _in_subtree(grid, area.grid):
                return area
    raise ApplicationError(
        _("“%(n)s”不是本次行动的检查对象。") % {"n": entity.name},
        code="entity_not_targeted",
        fields={"entity": [entity.name]},
    )


@dataclass
class FindingSpec:
    title: str
    description: str
    responsible_person: str = ""
    suspected_crime: bool = False
    is_key: bool = False


def _check_finding(spec: FindingSpec) -> None:
    _required(spec.title, "title", _("问题"))
    _required(spec.description, "description", _("违法事实"))


@transaction.atomic
def inspection_create(
    *,
    actor: Any,
    action: EnforcementAction,
    entity: Any,
    inspected_at: dt.datetime,
    officers: Sequence[ActionOfficer],
    summary: str,
    place: str = "",
    photos: Sequence[Any] = (),
    findings: Sequence[FindingSpec] = (),
) -> Inspection:
    """Record an inspection of one target entity by at least two certified officers,
    with content-checked photos and any findings. Checked in full before any write."""
    if not action_policy.can_view(actor, action):
        action_policy.require_change(actor, action)
    if not action_policy.can_inspect(actor, action):
        raise PermissionDeniedError(_("只有参与单位可以录入现场检查。"))
    if not action.is_running:
        raise ApplicationError(
            _("行动当前为“%(s)s”，不能录入现场检查。") % {"s": action.get_status_display()},
            code="action_not_running",
        )
    target = _target_for(action, entity)
    _required(inspected_at, "inspected_at", _("检查时间"))
    _required(summary, "summary", _("检查情况"))
    day = local_date(inspected_at)
    if not (action.start_date <= day <= action.end_date):
        raise ApplicationError(
            _("检查时间须在行动期间%(a)s至%(b)s内。")
            % {"a": action.start_date.isoformat(), "b": action.end_date.isoformat()},
            code="inspection_outside_period",
            fields={"inspected_at": [day.isoformat()]},
        )
    if inspected_at > timezone.now() + dt.timedelta(minutes=10):
        raise ApplicationError(
            _("检查时间不能晚于当前时间。"),
            code="inspection_in_future",
            fields={"inspected_at": [_("晚于当前时间")]},
        )
    chosen = {o.pk: o for o in officers}
    if any(o.action_id != action.pk for o in chosen.values()):
        raise ApplicationError(_("检查人员须为本次行动的执法人员。"), code="officer_not_in_action")
    minimum = int(rules.get("INSPECTION_MIN_OFFICERS"))
    if len(chosen) < minimum:
        raise ApplicationError(
            _("现场检查须由至少%(n)s名持有有效执法证的执法人员进行。") % {"n": minimum},
            code="officers_too_few",
            fields={"officers": [_("至少%(n)s名") % {"n": minimum}]},
        )
    for o in chosen.values():
        if not o.person.cert_valid_on(day):
            raise ApplicationError(
                _cert_message(o.person, day, day),
                code="certificate_not_valid",
                fields={"officers": [o.person.name]},
            )
    for spec in findings:
        _check_finding(spec)
    checked = [photo_check(p) for p in photos]
    stored: list[Any] = []
    try:
        inspection = Inspection.objects.create(
            action=action,
            target=target,
            entity=entity,
            inspected_at=inspected_at,
            place=place or getattr(entity, "address", ""),
            summary=summary,
            created_by=_person(actor),
        )
        inspection.officers.set(list(chosen.values()))
        rows = _store_photos(inspection, checked, actor, stored)
        for spec in findings:
            _finding_write(actor=actor, inspection=inspection, spec=spec, photos=rows)
        if action.status == ActionStatus.DEPLOYED:
            action_transition(
                action=action,
                to=ActionStatus.IN_PROGRESS,
                actor=actor,
                note=_("首次现场检查"),
            )
        audit_record(
            actor=actor,
            action="enforcement.inspection.create",
            obj=inspection,
            after={
                **snapshot(inspection),
                "officers": sorted(chosen),
                "photos": [r.pk for r in rows],
            },
        )
    except BaseException:
        _discard(stored)
        raise
    return inspection


@transaction.atomic
def photo_add(
    *, actor: Any, inspection: Inspection, photos: Sequence[Any]
) -> list[InspectionPhoto]:
    action = inspection.action
    if not action_policy.can_inspect(actor, action):
        action_policy.require_change(actor, action)
    _require_open(action)
    if not photos:
        raise ApplicationError(_("请选择照片。"), code="required", fields={"photos": [_("必填")]})
    checked = [photo_check(p) for p in photos]
    stored: list[Any] = []
    try:
        rows = _store_photos(inspection, checked, actor, stored)
        for r in rows:
            audit_record(actor=actor, action="enforcement.photo.add", obj=r, after=snapshot(r))
    except BaseException:
        _discard(stored)
        raise
    return rows


def _finding_write(
    *, actor: Any, inspection: Inspection, spec: FindingSpec, photos: Sequence[InspectionPhoto]
) -> Finding:
    finding = Finding.objects.create(
        action=inspection.action,
        inspection=inspection,
        entity=inspection.entity,
        title=spec.title.strip(),
        description=spec.description,
        responsible_person=spec.responsible_person,
        suspected_crime=spec.suspected_crime,
        is_key=spec.is_key,
        created_by=_person(actor),
    )
    if photos:
        finding.photos.set(list(photos))
    audit_record(
        actor=actor,
        action="enforcement.finding.create",
        obj=finding,
        after={**snapshot(finding), "photos": [p.pk for p in photos]},
    )
    return finding


@transaction.atomic
def finding_create(
    *,
    actor: Any,
    inspection: Inspection,
    spec: FindingSpec,
    photos: Sequence[InspectionPhoto] | None = None,
) -> Finding:
    action = inspection.action
    if not action_policy.can_inspect(actor, action):
        action_policy.require_change(actor, action)
    _require_open(action)
    _check_finding(spec)
    chosen = list(photos) if photos is not None else list(inspection.photos.all())
    if any(p.inspection_id != inspection.pk for p in chosen):
        raise ApplicationError(_("证据照片须来自本次检查。"), code="photo_not_in_inspection")
    return _finding_write(actor=actor, inspection=inspection, spec=spec, photos=chosen)


@transaction.atomic
def finding_supervise(
    *, actor: Any, finding: Finding, reason: str = "", requirement: str = ""
) -> Finding:
    """E3: the organiser supervises a key case (督办) — a notice to the unit responsible
    for the grid where it was found, whose answer is itself an obligation."""
    action = finding.action
    if not action_policy.can_case_finding(actor, finding):
        action_policy.require_change(actor, action, _("只有组织单位可以督办重点案件。"))
    finding = Finding.objects.select_for_update().get(pk=finding.pk)
    if finding.supervision_id is not None:
        raise ConflictError(_("该问题已督办。"), code="already_supervised")
    grid = finding.entity.grid
    responsible = grid.owner_unit if grid is not None else None
    if responsible is None or responsible.pk == action.organiser_unit_id:
        raise ApplicationError(_("该问题由组织单位自行查处，无需督办。"), code="supervision_self")
    before = snapshot(finding)
    sup = supervision_issue(
        actor=actor,
        issuer=action.organiser_unit,
        target=responsible,
        reason=reason.strip()
        or _("联合执法行动“%(a)s”重点案件：%(t)s（%(e)s）。")
        % {"a": action.title, "t": finding.title, "e": finding.entity.name},
        requirement=requirement or _("请依法查处到位，并在时限内报告办理情况。"),
        subject=finding,
        response_rule=rules.supervision_response_rule(),
        link=_link(action),
    )
    finding.is_key = True
    finding.supervision = sup
    finding.save(update_fields=["is_key", "supervision"])
    audit_record(
        actor=actor,
        action="enforcement.finding.supervise",
        obj=finding,
        before=before,
        after=snapshot(finding),
    )
    return finding


@transaction.atomic
def finding_to_case(*, actor: Any, finding: Finding) -> Any:
    """A finding becomes a case (source: joint enforcement) with its evidence photos, in
    one step, registered by the organiser as the unit that discovered it. Where the place
    lies in another unit's grid, the cases app opens the transfer obligation (T1)."""
    from envgrid.cases.files import content_file
    from envgrid.cases.services import case_create

    action = finding.action
    if not action_policy.can_view(actor, action):
        action_policy.require_change(actor, action)
    if not action_policy.can_case_finding(actor, finding):
        raise PermissionDeniedError(_("只有组织单位可以将发现问题转为案件。"))
    finding = Finding.objects.select_for_update().select_related("entity").get(pk=finding.pk)
    if finding.case_id is not None:
        raise ConflictError(
            _("该问题已转为案件%(n)s。") % {"n": finding.case_number}, code="already_cased"
        )
    inspection = finding.inspection
    entity = finding.entity
    files = []
    for photo in finding.photos.all():
        with photo.file.open("rb") as fh:
            files.append(content_file(fh.read(), photo.original_name))
    case = case_create(
        actor=actor,
        title=_("%(e)s：%(t)s") % {"e": entity.name, "t": finding.title},
        source="joint_enforcement",
        owner_unit=action.organiser_unit,
        discovered_at=inspection.inspected_at,
        discovered_by_unit=action.organiser_unit,
        discovered_by_person=inspection.created_by,
        lon=entity.lon,
        lat=entity.lat,
        address=entity.address or inspection.place,
        description=_("联合执法行动“%(a)s”（%(n)s）现场检查发现。检查情况：%(s)s")
        % {"a": action.title, "n": action.number, "s": inspection.summary},
        entity=entity,
        responsible_person=finding.responsible_person,
        facts=finding.description,
        suspected_crime=finding.suspected_crime,
        evidence_files=files,
    )
    finding_transition(
        finding=finding,
        action="to_case",
        actor=actor,
        fields={"case": case, "case_number": case.number, "case_created_at": timezone.now()},
    )
    return case
