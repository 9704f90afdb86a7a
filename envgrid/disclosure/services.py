"""Writes for publications (draft → reviewed → published, withdrawn with a reason),
hazards and emission imports. Keyword-only, atomic, audited (STYLE)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.errors import ApplicationError, PermissionDeniedError
from envgrid.core.safeparse import check_upload_size
from envgrid.core.services import model_create, model_update
from envgrid.org.selectors import actor_for

from . import snapshots
from .importers import EmissionRow, parse_emission_file
from .models import (
    EmissionBatch,
    EmissionRecord,
    Hazard,
    HazardKind,
    HazardLevel,
    HazardStatus,
    Petition,
    Publication,
    PublicationKind,
    PublicationStatus,
)
from .policies import publication_policy
from .privacy import scrub, scrub_json
from .uploads import checked_document
from .workflow import publication_transition

# --------------------------------------------------------------------------- publications


def _require_text(value: str, field: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ApplicationError(
            _("%(label)s不能为空。") % {"label": label},
            code="required",
            fields={field: [_("必填")]},
        )
    return value


@transaction.atomic
def publication_create(
    *,
    actor: Any,
    kind: str,
    title: str,
    unit: Any,
    summary: str = "",
    payload: dict[str, Any] | None = None,
    topic: str = "",
    document: Any = None,
    source: models.Model | None = None,
    check_permission: bool = True,
) -> Publication:
    """A new draft. `payload` is the frozen public content; `source` the record it shows."""
    if kind not in PublicationKind.values:
        raise ApplicationError(_("未知的公开类别。"), code="kind_invalid", fields={"kind": [kind]})
    title = _require_text(title, "title", _("标题"))
    if len(title) > 300:
        raise ApplicationError(_("标题过长。"), code="too_long", fields={"title": [_("最多300字")]})
    if check_permission and not publication_policy.can_create_for(actor, unit):
        raise PermissionDeniedError(_("无权为该单位起草公开信息。"))
    # Scrubbed on save (and again on render, selectors.public_render).
    party = source if isinstance(source, Petition) else None
    title = scrub(title, party)
    summary = scrub(summary, party)
    if kind not in (PublicationKind.DIVISION, PublicationKind.DUTIES, PublicationKind.EMISSIONS):
        payload = scrub_json(payload or {}, party)
    pub = Publication(
        kind=kind,
        title=title,
        summary=summary or "",
        payload=payload or {},
        topic=topic,
        unit=unit,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if source is not None:
        pub.source_type = ContentType.objects.get_for_model(source)
        pub.source_id = str(source.pk)
    if document is not None:
        content, _mime = checked_document(
            document, max_bytes=int(getattr(settings, "FILE_UPLOAD_MAX_BYTES", 20 * 1048576))
        )
        stored = content.name or "document"
        pub.document.save(stored, content, save=False)
        pub.document_name = str(getattr(document, "name", "") or stored)[:200]
    pub.save()
    publication_transition_created(pub, actor)
    return pub


def publication_transition_created(pub: Publication, actor: Any) -> None:
    from .models import PublicationEvent

    PublicationEvent.objects.create(
        publication=pub,
        from_status="",
        to_status=PublicationStatus.DRAFT,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        note="",
    )
    audit_record(
        actor=actor,
        action="publication.create",
        obj=pub,
        after=snapshot(pub, fields=["kind", "title", "topic", "status", "unit", "source_id"]),
    )


def _lock(pub: Publication) -> Publication:
    return Publication.objects.select_for_update().get(pk=pub.pk)


@transaction.atomic
def publication_update(
    *, actor: Any, publication: Publication, title: str, summary: str
) -> Publication:
    publication_policy.require_change(actor, publication)
    pub = _lock(publication)
    if pub.status != PublicationStatus.DRAFT:
        raise ApplicationError(
            _("只有草稿可以修改；已审核的请先退回草稿。"), code="not_draft", status=409
        )
    from .selectors import publication_source_petition

    # Scrubbed on save (and again on render): a draft edited by hand cannot carry identity.
    party = publication_source_petition(pub)
    title = scrub(_require_text(title, "title", _("标题")), party)
    summary = scrub(summary or "", party)
    data: dict[str, Any] = {"title": title[:300], "summary": summary}
    if pub.kind == PublicationKind.PETITION:
        payload = dict(pub.payload or {})
        payload["summary"] = summary
        data["payload"] = payload
    return model_update(instance=pub, actor=actor, action="publication.update", data=data)


@transaction.atomic
def publication_review(*, actor: Any, publication: Publication, note: str = "") -> Publication:
    """Screening (筛选) by the office; the author does not review their own draft."""
    publication_policy.require_review(actor, publication)
    pub = _lock(publication)
    if (
        pub.created_by_id is not None
        and pub.created_by_id == getattr(actor, "pk", None)
        and not getattr(actor, "is_superuser", False)
    ):
        raise ApplicationError(
            _("起草人不能审核自己起草的公开信息。"), code="review_by_author", status=403
        )
    return publication_transition(
        pub,
        PublicationStatus.REVIEWED,
        actor=actor,
        note=note,
        reviewed_by=actor,
        reviewed_at=timezone.now(),
    )


@transaction.atomic
def publication_send_back(*, actor: Any, publication: Publication, reason: str) -> Publication:
    publication_policy.require_review(actor, publication)
    reason = _require_text(reason, "reason", _("退回原因"))
    pub = _lock(publication)
    return publication_transition(
        pub, PublicationStatus.DRAFT, actor=actor, note=reason, reviewed_by=None, reviewed_at=None
    )


@transaction.atomic
def publication_publish(*, actor: Any, publication: Publication) -> Publication:
    """Publish (dated). A published item of the same kind and topic is withdrawn, with
    the reason naming its successor, so the record of what was public stays."""
    publication_policy.require_review(actor, publication)
    pub = _lock(publication)
    now = timezone.now()
    pub = publication_transition(
        pub, PublicationStatus.PUBLISHED, actor=actor, published_by=actor, published_at=now
    )
    if pub.topic:
        older = (
            Publication.objects.select_for_update()
            .filter(kind=pub.kind, topic=pub.topic, status=PublicationStatus.PUBLISHED)
            .exclude(pk=pub.pk)
        )
        for old in older:
            reason = _("已由新版本《%(title)s》（%(date)s 发布）替代。") % {
                "title": pub.title,
                "date": f"{timezone.localtime(now):%Y-%m-%d}",
            }
            publication_transition(
                old,
                PublicationStatus.WITHDRAWN,
                action="superseded",
                actor=actor,
                note=reason,
                withdrawn_at=now,
                withdraw_reason=reason[:500],
            )
    if pub.kind == PublicationKind.ADJUSTMENT:
        from .hooks import adjustment_published

        adjustment_published(pub)
    from .timeliness import refresh_published

    refresh_published(pub, actor)  # I4: the item is current again; the next period starts
    return pub


@transaction.atomic
def publication_withdraw(*, actor: Any, publication: Publication, reason: str) -> Publication:
    """Withdraw keeps the record and its reason; the public no longer sees it."""
    publication_policy.require_review(actor, publication)
    reason = _require_text(reason, "reason", _("撤回原因"))
    pub = _lock(publication)
    return publication_transition(
        pub,
        PublicationStatus.WITHDRAWN,
        actor=actor,
        note=reason,
        withdrawn_at=timezone.now(),
        withdraw_reason=reason[:500],
    )


# Draft makers: each freezes the public payload from the current records.


def publication_draft_division(*, actor: Any, unit: Any) -> Publication:
    payload = snapshots.division_payload()
    today = timezone.localdate()
    return publication_create(
        actor=actor,
        kind=PublicationKind.DIVISION,
        title=_("网格划分和建设情况（%(date)s）") % {"date": f"{today:%Y-%m-%d}"},
        summary=_("共 %(n)s 个网格，已建成 %(done)s 个。")
        % {"n": payload["stats"]["total"], "done": payload["stats"]["complete"]},
        payload=payload,
        topic="division",
        unit=unit,
    )


def publication_draft_duties(*, actor: Any, unit: Any) -> Publication:
    payload = snapshots.duties_payload()
    today = timezone.localdate()
    return publication_create(
        actor=actor,
        kind=PublicationKind.DUTIES,
        title=_("网格职责和责任人员（%(date)s）") % {"date": f"{today:%Y-%m-%d}"},
        summary=_("各网格的监管职责、主要行政领导及网格长、网格员、监管员。"),
        payload=payload,
        topic="duties",
        unit=unit,
    )


def publication_draft_hazard(*, actor: Any, hazard: Hazard) -> Publication:
    hazard.refresh_from_db()  # freeze what is stored, not what a caller holds
    return publication_create(
        actor=actor,
        kind=PublicationKind.HAZARD,
        title=_("环境安全隐患：%(place)s") % {"place": hazard.place},
        summary=hazard.measures,
        payload=snapshots.hazard_payload(hazard),
        topic=f"hazard:{hazard.pk}",
        unit=hazard.responsible_unit,
        source=hazard,
    )


def publication_draft_petition(*, actor: Any, petition: Petition, summary: str) -> Publication:
    """The anonymised account of how a petition was handled; the summary is scrubbed."""
    summary = _require_text(summary, "summary", _("办理情况摘要"))
    payload = snapshots.petition_payload(petition, summary)
    return publication_create(
        actor=actor,
        kind=PublicationKind.PETITION,
        title=_("%(category)s信访件办理情况（%(date)s受理）")
        % {
            "category": petition.get_category_display(),
            "date": f"{timezone.localtime(petition.received_at):%Y-%m-%d}",
        },
        summary=payload["summary"],
        payload=payload,
        topic=f"petition:{petition.pk}",
        unit=petition.unit,
        source=petition,
    )


def publication_draft_emissions(*, actor: Any, batch: EmissionBatch) -> Publication:
    if batch.publication_id is not None:
        raise ApplicationError(_("该批次已有公开记录。"), code="already_drafted", status=409)
    pub = publication_create(
        actor=actor,
        kind=PublicationKind.EMISSIONS,
        title=batch.title,
        summary=_("%(n)s 条排放记录，其中超标 %(x)s 条。")
        % {"n": batch.row_count, "x": batch.exceedance_count},
        payload=snapshots.emission_batch_payload(batch),
        topic=f"emissions:{batch.pk}",
        unit=batch.unit,
        source=batch,
    )
    EmissionBatch.objects.filter(pk=batch.pk).update(publication=pub)
    batch.publication = pub
    return pub


def publication_draft_adjustment(*, adjustment: Any, actor: Any = None) -> Publication | None:
    """G5: a major adjustment (grids.MajorAdjustment) becomes a disclosure draft for the
    office to review. Idempotent: a second call for the same adjustment returns the first."""
    ct = ContentType.objects.get_for_model(adjustment)
    existing = Publication.objects.filter(
        kind=PublicationKind.ADJUSTMENT, source_type=ct, source_id=str(adjustment.pk)
    ).first()
    if existing is not None:
        return existing
    data = snapshots.adjustment_payload(adjustment)
    unit = snapshots.adjustment_unit(adjustment)
    if unit is None:
        return None
    return publication_create(
        actor=actor,
        kind=PublicationKind.ADJUSTMENT,
        title=data["title"],
        summary=data.get("summary", ""),
        payload=data,
        topic=f"adjustment:{adjustment.pk}",
        unit=unit,
        source=adjustment,
        check_permission=False,
    )


# --------------------------------------------------------------------------- hazards

_HAZARD_FIELDS = (
    "place",
    "lon",
    "lat",
    "kind",
    "level",
    "description",
    "measures",
    "status",
    "responsible_unit",
    "found_on",
    "rectify_due",
)


def _hazard_data(data: dict[str, Any]) -> dict[str, Any]:
    clean = {k: data[k] for k in _HAZARD_FIELDS if k in data}
    for key, choices in (
        ("kind", HazardKind),
        ("level", HazardLevel),
        ("status", HazardStatus),
    ):
        if key in clean and clean[key] not in choices.values:
            raise ApplicationError(
                _("取值无效：%(v)s") % {"v": clean[key]}, code="invalid", fields={key: [_("无效")]}
            )
    if "lon" in clean and "lat" in clean:
        from .routing import grid_for_point

        clean["grid"] = grid_for_point(float(clean["lon"]), float(clean["lat"]))
    return clean


@transaction.atomic
def hazard_create(*, actor: Any, data: dict[str, Any]) -> Hazard:
    from .policies import hazard_policy

    clean = _hazard_data(data)
    unit = clean.get("responsible_unit")
    if unit is None:
        raise ApplicationError(
            _("须指定责任单位。"), code="required", fields={"responsible_unit": [_("必填")]}
        )
    probe = Hazard(responsible_unit=unit)
    if not hazard_policy.can_change(actor, probe):
        raise PermissionDeniedError(_("无权为该单位登记隐患。"))
    return model_create(model=Hazard, actor=actor, action="hazard.create", data=clean)


@transaction.atomic
def hazard_update(*, actor: Any, hazard: Hazard, data: dict[str, Any]) -> Hazard:
    from .policies import hazard_policy

    hazard_policy.require_change(actor, hazard)
    return model_update(
        instance=hazard, actor=actor, action="hazard.update", data=_hazard_data(data)
    )


# --------------------------------------------------------------------------- emissions


@transaction.atomic
def emission_import(
    *, actor: Any, unit: Any, title: str, file_name: str, content: bytes
) -> EmissionBatch:
    """Import an .xlsx or CSV of emission data. Every row is checked first; if any row is
    bad, nothing is written and the error lists each bad row with its reason."""
    title = _require_text(title, "title", _("批次名称"))
    # Permission and size before the file is parsed (issue 16: a bomb parsed first).
    acting = actor_for(actor)
    own_unit = acting.person.unit_id if acting.person is not None else None
    if not (acting.is_admin or (unit is not None and own_unit == unit.pk)):
        raise PermissionDeniedError(_("仅本单位人员可导入本单位的排放数据。"))
    check_upload_size(content)
    rows, errors = parse_emission_file(file_name, content)
    if errors:
        raise ApplicationError(
            _("导入失败：%(n)s 行有错误，未写入任何数据。")
            % {"n": len({e["row"] for e in errors})},
            code="import_rows_invalid",
            fields={"rows": errors},
        )
    if not rows:
        raise ApplicationError(_("文件中没有数据行。"), code="import_empty")
    batch = EmissionBatch.objects.create(
        title=title[:200],
        file_name=file_name[:200],
        unit=unit,
        imported_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    records = [_record(batch, r) for r in rows]
    EmissionRecord.objects.bulk_create(records)
    batch.row_count = len(records)
    batch.exceedance_count = sum(1 for r in records if r.exceeded)
    batch.save(update_fields=["row_count", "exceedance_count"])
    audit_record(
        actor=actor,
        action="emissions.import",
        obj=batch,
        after={
            "title": batch.title,
            "file_name": batch.file_name,
            "rows": batch.row_count,
            "exceedances": batch.exceedance_count,
        },
    )
    return batch


def _record(batch: EmissionBatch, r: EmissionRow) -> EmissionRecord:
    return EmissionRecord(
        batch=batch,
        entity=r.entity,
        entity_name=r.entity.name,
        pollutant=r.pollutant,
        measure=r.measure,
        value=r.value,
        unit_label=r.unit_label,
        limit=r.limit,
        exceeded=r.limit is not None and r.value > r.limit,
        period_start=r.period_start,
        period_end=r.period_end,
        outlet=r.outlet,
    )


def today() -> dt.date:
    return timezone.localdate()
