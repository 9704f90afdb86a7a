"""Petition services (信访/举报, I4): intake and routing (G3), deadlines as obligations,
acknowledgement, handling, reply, extension, objection and re-routing, duplicate
linking, and turning a petition into a case."""

from __future__ import annotations

import datetime as dt
import math
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.audit import audit_record
from envgrid.core.deadlines import Due, compute_due_detail
from envgrid.core.errors import ApplicationError, ConflictError
from envgrid.core.notifications import notify
from envgrid.obligations.services import (
    obligation_cancel,
    obligation_complete_for,
    obligation_extend,
    obligation_open,
    obligations_for,
    users_of_unit,
)

from .conf import public_limits
from .models import (
    Petition,
    PetitionCategory,
    PetitionEvent,
    PetitionPhoto,
    PetitionRules,
    PetitionSource,
    PetitionStatus,
)
from .policies import petition_policy
from .routing import normalize_crs, parse_point, route_point, to_wgs84
from .uploads import checked_photo
from .workflow import petition_audited, petition_event, petition_transition

KIND_ACK = "petition.acknowledge"
KIND_HANDLE = "petition.handle"
KIND_REROUTE = "petition.reroute"
_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def tracking_code_new() -> str:
    """Unguessable: the code is the petitioner's only key to their petition."""
    return "XF" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))


def public_id_new() -> str:
    """The id the public and Open311 see; unrelated to the tracking code."""
    return "P" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(11))


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def find_duplicate(
    *, category: str, lon: float, lat: float, at: dt.datetime, rules: PetitionRules
) -> Petition | None:
    """An open petition about the same place (within the radius) and category received
    within the window: the new one is linked to it instead of being handled twice."""
    since = at - dt.timedelta(days=rules.duplicate_window_days)
    radius = float(rules.duplicate_radius_m)
    dlat = radius / 111_000
    dlon = radius / (111_000 * max(0.05, math.cos(math.radians(lat))))
    candidates = Petition.objects.filter(
        category=category,
        duplicate_of__isnull=True,
        status__in=[PetitionStatus.RECEIVED, PetitionStatus.ACCEPTED, PetitionStatus.OBJECTED],
        received_at__gte=since,
        lon__gte=lon - dlon,
        lon__lte=lon + dlon,
        lat__gte=lat - dlat,
        lat__lte=lat + dlat,
    ).order_by("received_at", "pk")
    for p in candidates:
        if distance_m(lon, lat, p.lon, p.lat) <= radius:
            return p
    return None


def _clean_contact(name: str, phone: str, email: str) -> tuple[str, str, str]:
    name, phone, email = (name or "").strip(), (phone or "").strip(), (email or "").strip()
    fields: dict[str, list[str]] = {}
    if len(name) > 100:
        fields["contact_name"] = [_("最多100字")]
    if phone and (len(phone) > 30 or not all(c.isdigit() or c in "+-() " for c in phone)):
        fields["contact_phone"] = [_("电话号码格式不正确")]
    if email and ("@" not in email or len(email) > 200 or " " in email):
        fields["contact_email"] = [_("电子邮箱格式不正确")]
    if fields:
        raise ApplicationError(_("联系方式格式不正确。"), code="contact_invalid", fields=fields)
    return name, phone, email


def _ack_title(p: Petition) -> str:
    return _("信访件 %(code)s 受理告知") % {"code": p.tracking_code}


def _open_ack(p: Petition, rules: PetitionRules, actor: Any) -> None:
    obligation_open(
        unit=p.unit,
        kind=KIND_ACK,
        title=_ack_title(p),
        rule=rules.ack_rule,
        start_at=p.routed_at,
        start_event=_("收到信访件"),
        subject=p,
        link=p.get_absolute_url(),
        actor=actor,
    )
    notify(
        users=users_of_unit(p.unit_id),
        subject=_("新信访件待受理：%(code)s（%(cat)s）")
        % {"code": p.tracking_code, "cat": p.get_category_display()},
        body=_("请在规定时限内告知是否受理；不属于本单位职责的，请在 %(n)s 内提出异议。")
        % {"n": rules.objection_rule.describe()},
        link=p.get_absolute_url(),
    )


@transaction.atomic
def petition_submit(
    *,
    category: str,
    description: str,
    lon: Any,
    lat: Any,
    crs: str = "wgs84",
    place_text: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    photos: list[Any] | None = None,
    source: str = PetitionSource.WEB,
    actor: Any = None,
    attributes: dict[str, Any] | None = None,
) -> Petition:
    """Register a petition from the public, route it and open its first deadline.
    Every input is checked before anything is written."""
    limits = public_limits()
    rules = PetitionRules.current()
    if category not in PetitionCategory.values:
        raise ApplicationError(
            _("请选择有效的类别。"), code="category_invalid", fields={"category": [str(category)]}
        )
    description = (description or "").strip()
    if not description:
        raise ApplicationError(
            _("请填写反映的问题。"),
            code="description_required",
            fields={"description": [_("必填")]},
        )
    if len(description) > limits.max_text:
        raise ApplicationError(
            _("反映内容最多 %(n)s 字。") % {"n": limits.max_text},
            code="description_too_long",
            fields={"description": [_("过长")]},
        )
    if len(place_text or "") > 300:
        raise ApplicationError(_("地点描述过长。"), code="too_long", fields={"place_text": ["300"]})
    crs = normalize_crs(crs)
    in_lon, in_lat = parse_point(lon, lat)
    w_lon, w_lat = to_wgs84(in_lon, in_lat, crs)
    contact_name, contact_phone, contact_email = _clean_contact(
        contact_name, contact_phone, contact_email
    )
    photos = [p for p in (photos or []) if p]
    if len(photos) > limits.max_photos:
        raise ApplicationError(
            _("最多上传 %(n)s 张照片。") % {"n": limits.max_photos},
            code="too_many_photos",
            fields={"photos": [_("过多")]},
        )
    checked = [
        checked_photo(f, max_bytes=limits.max_photo_bytes, allowed=limits.allowed_mimes)
        for f in photos
    ]
    if source not in PetitionSource.values:
        source = PetitionSource.WEB

    route = route_point(w_lon, w_lat)
    now = timezone.now()
    primary = find_duplicate(category=category, lon=w_lon, lat=w_lat, at=now, rules=rules)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                p = Petition.objects.create(
                    tracking_code=tracking_code_new(),
                    public_id=public_id_new(),
                    category=category,
                    description=description,
                    place_text=(place_text or "").strip(),
                    attributes=dict(attributes or {}),
                    lon=w_lon,
                    lat=w_lat,
                    input_crs=crs,
                    input_lon=in_lon,
                    input_lat=in_lat,
                    grid=route.grid,
                    unit=primary.unit if primary else route.unit,
                    office_unit=primary.office_unit if primary else route.office_unit,
                    contact_name=contact_name,
                    contact_phone=contact_phone,
                    contact_email=contact_email,
                    source=source,
                    received_at=now,
                    routed_at=now,
                )
            break
        except IntegrityError:  # tracking-code collision: draw again
            continue
    else:  # pragma: no cover - 32^10 codes
        raise ConflictError(_("系统繁忙，请重试。"), code="tracking_code_collision")
    for content, mime, size in checked:
        photo = PetitionPhoto(petition=p, mime=mime, size=size)
        photo.file.save(content.name or "photo", content, save=False)
        photo.save()
    petition_event(
        p,
        action="submitted",
        actor=actor,
        to_status=PetitionStatus.RECEIVED,
        note=_("交办至 %(unit)s") % {"unit": p.unit.name},
        public_note=_("已登记，交 %(unit)s 办理。") % {"unit": p.unit.name},
    )
    audit_record(
        actor=actor,
        action="petition.submit",
        obj=p,
        object_repr=p.tracking_code,
        after=petition_audited(p),
    )
    if primary is not None:
        petition_transition(
            p,
            PetitionStatus.LINKED,
            actor=actor,
            action="linked",
            note=_("与 %(code)s 为同一地点、同一类别，合并办理。")
            % {"code": primary.tracking_code},
            public_note=_("您反映的问题已有他人反映，正在合并办理，进展与原件一致。"),
            duplicate_of=primary,
        )
        petition_event(
            primary,
            action="duplicate",
            actor=actor,
            note=_("并入重复信访件 %(code)s") % {"code": p.tracking_code},
        )
        return p
    _open_ack(p, rules, actor)
    return p


def _lock(p: Petition) -> Petition:
    return Petition.objects.select_for_update().get(pk=p.pk)


@transaction.atomic
def petition_acknowledge(
    *, actor: Any, petition: Petition, accept: bool = True, reason: str = ""
) -> Petition:
    """Tell the petitioner whether it is accepted (受理) or not (不予受理, with reason)."""
    petition_policy.require(actor, petition, "handle")
    p = _lock(petition)
    rules = PetitionRules.current()
    now = timezone.now()
    if p.status != PetitionStatus.RECEIVED:
        raise ConflictError(_("只有待受理的信访件可以受理。"), code="petition_bad_transition")
    obligation_complete_for(subject=p, kind=KIND_ACK, actor=actor, at=now)
    if not accept:
        reason = (reason or "").strip()
        if not reason:
            raise ApplicationError(
                _("不予受理须写明理由。"), code="reason_required", fields={"reason": [_("必填")]}
            )
        p = petition_transition(
            p,
            PetitionStatus.DECLINED,
            actor=actor,
            action="declined",
            note=reason,
            public_note=_("不予受理。"),
            reply=reason,
            closed_at=now,
        )
        # The reason is staff's own words: public only once the office has reviewed it.
        petition_event(
            p,
            action="decline_reason",
            actor=actor,
            public_note=_("不予受理理由：%(r)s") % {"r": reason},
            public_reviewed=False,
        )
        return p
    p = petition_transition(
        p,
        PetitionStatus.ACCEPTED,
        actor=actor,
        action="accepted",
        note=reason,
        public_note=_("已受理，正在办理。"),
        accepted_at=now,
    )
    obligation_open(
        unit=p.unit,
        kind=KIND_HANDLE,
        title=_("信访件 %(code)s 办结答复") % {"code": p.tracking_code},
        rule=rules.handle_rule,
        start_at=now,
        start_event=_("受理"),
        subject=p,
        link=p.get_absolute_url(),
        actor=actor,
    )
    return p


@transaction.atomic
def petition_mark_spam(*, actor: Any, petition: Petition, reason: str = "") -> Petition:
    """Screening (筛选) finds a submission is spam: it is declined, kept (nothing is
    deleted) and counted apart from real petitions in the public statistics."""
    petition_policy.require(actor, petition, "handle")
    p = _lock(petition)
    if p.status != PetitionStatus.RECEIVED:
        raise ConflictError(
            _("只有待受理的信访件可以标记为垃圾信息。"), code="petition_bad_transition"
        )
    now = timezone.now()
    obligation_complete_for(subject=p, kind=KIND_ACK, actor=actor, at=now)
    return petition_transition(
        p,
        PetitionStatus.DECLINED,
        actor=actor,
        action="spam",
        note=(reason or "").strip() or _("垃圾信息"),
        public_note=_("不予受理。"),
        is_spam=True,
        closed_at=now,
    )


@transaction.atomic
def petition_progress(
    *, actor: Any, petition: Petition, note: str, public_note: str = ""
) -> Petition:
    """Record handling progress (办理进展); the public note is shown on the tracking page."""
    petition_policy.require(actor, petition, "handle")
    p = _lock(petition)
    if p.status != PetitionStatus.ACCEPTED:
        raise ConflictError(_("只有办理中的信访件可以记录进展。"), code="petition_bad_transition")
    note = (note or "").strip()
    if not note:
        raise ApplicationError(_("请填写办理情况。"), code="required", fields={"note": [_("必填")]})
    petition_event(
        p,
        action="progress",
        actor=actor,
        note=note,
        public_note=public_note,
        public_reviewed=False,
    )
    audit_record(
        actor=actor,
        action="petition.progress",
        obj=p,
        object_repr=p.tracking_code,
        after={"note": note[:500]},
    )
    return p


@transaction.atomic
def petition_reply(*, actor: Any, petition: Petition, reply: str) -> Petition:
    """Conclude with a written reply (办结答复); discharges the handling deadline."""
    petition_policy.require(actor, petition, "handle")
    p = _lock(petition)
    reply = (reply or "").strip()
    if not reply:
        raise ApplicationError(
            _("请填写答复意见。"), code="reply_required", fields={"reply": [_("必填")]}
        )
    if p.status != PetitionStatus.ACCEPTED:
        raise ConflictError(_("只有办理中的信访件可以答复办结。"), code="petition_bad_transition")
    now = timezone.now()
    obligation_complete_for(subject=p, kind=KIND_HANDLE, actor=actor, at=now)
    return petition_transition(
        p,
        PetitionStatus.REPLIED,
        actor=actor,
        action="replied",
        note=reply,
        public_note=_("已办结并答复。"),
        reply=reply,
        closed_at=now,
    )


@transaction.atomic
def petition_extend(
    *, actor: Any, petition: Petition, days: int, reason: str, approver: Any
) -> Petition:
    """Extend the handling period once, by at most the configured days, with the approval
    of the unit's responsible person (信访工作条例 art. 32)."""
    petition_policy.require(actor, petition, "handle")
    p = _lock(petition)
    rules = PetitionRules.current()
    if p.status != PetitionStatus.ACCEPTED:
        raise ConflictError(_("只有办理中的信访件可以延期。"), code="petition_bad_transition")
    if p.extension_count >= rules.extension_times:
        raise ApplicationError(
            _("办理期限只能延长 %(n)s 次。") % {"n": rules.extension_times},
            code="extension_exhausted",
            status=409,
        )
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= rules.extension_max:
        raise ApplicationError(
            _("延长期限须为 1 至 %(n)s 日。") % {"n": rules.extension_max},
            code="extension_too_long",
            fields={"days": [str(days)]},
        )
    if approver is None or approver.unit_id != p.unit_id or not approver.is_active:
        raise ApplicationError(
            _("延期须经本单位负责人批准。"),
            code="approver_invalid",
            fields={"approver": [_("无效")]},
        )
    actor_person = getattr(actor, "person", None)
    if actor_person is not None and actor_person.pk == approver.pk:
        raise ApplicationError(
            _("经办人不能批准自己的延期申请。"),
            code="approver_invalid",
            fields={"approver": [_("无效")]},
        )
    obs = list(obligations_for(p, KIND_HANDLE))
    if not obs:
        raise ConflictError(_("未找到办理时限。"), code="no_deadline")
    for ob in obs:
        obligation_extend(obligation=ob, actor=actor, amount=days, reason=reason, approver=approver)
    p.extension_count += 1
    p.save(update_fields=["extension_count", "updated_at"])
    petition_event(
        p,
        action="extended",
        actor=actor,
        note=_("延长 %(d)s 日（批准人：%(a)s）：%(r)s")
        % {"d": days, "a": approver.name, "r": reason},
        public_note=_("办理期限经批准延长 %(d)s 日。") % {"d": days},
    )
    audit_record(
        actor=actor,
        action="petition.extend",
        obj=p,
        object_repr=p.tracking_code,
        after={"days": days, "approver": approver.pk, "reason": reason[:300]},
    )
    return p


def objection_deadline_detail(p: Petition) -> Due:
    """The objection deadline with the placeholder years it crossed (暂定 if any); a year
    the calendar does not know raises UnknownCalendarYear."""
    return compute_due_detail(PetitionRules.current().objection_rule, p.routed_at)


def objection_deadline(p: Petition) -> dt.datetime:
    return objection_deadline_detail(p).at


@transaction.atomic
def petition_object(*, actor: Any, petition: Petition, reason: str) -> Petition:
    """The receiving unit says the petition is outside its remit, within the objection
    period; it goes back to the office, which owes a re-routing."""
    petition_policy.require(actor, petition, "handle")
    p = _lock(petition)
    rules = PetitionRules.current()
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            _("异议须写明理由。"), code="reason_required", fields={"reason": [_("必填")]}
        )
    if p.status != PetitionStatus.RECEIVED:
        raise ConflictError(
            _("只能对待受理的信访件提出异议（已受理视为认可管辖）。"),
            code="petition_bad_transition",
        )
    now = timezone.now()
    due = objection_deadline(p)
    if now > due:
        raise ApplicationError(
            _("异议期限（交办后 %(rule)s，至 %(due)s）已过，应当受理办理。")
            % {
                "rule": rules.objection_rule.describe(),
                "due": f"{timezone.localtime(due):%Y-%m-%d}",
            },
            code="objection_window_closed",
            status=409,
        )
    for ob in obligations_for(p, KIND_ACK):
        obligation_cancel(
            obligation=ob, actor=actor, reason=_("承办单位提出异议：%(r)s") % {"r": reason}
        )
    objecting = p.unit
    p = petition_transition(
        p,
        PetitionStatus.OBJECTED,
        actor=actor,
        action="objected",
        note=reason,
        public_note=_("正在重新确定承办单位。"),
    )
    obligation_open(
        unit=p.office_unit,
        kind=KIND_REROUTE,
        title=_("信访件 %(code)s 重新交办（%(unit)s 提出异议）")
        % {"code": p.tracking_code, "unit": objecting.name},
        rule=rules.reroute_rule,
        start_at=now,
        start_event=_("承办单位提出异议"),
        subject=p,
        link=p.get_absolute_url(),
        actor=actor,
    )
    notify(
        users=users_of_unit(p.office_unit_id),
        subject=_("信访件 %(code)s 被退回，请重新交办") % {"code": p.tracking_code},
        body=reason,
        link=p.get_absolute_url(),
    )
    return p


@transaction.atomic
def petition_reroute(*, actor: Any, petition: Petition, unit: Any, note: str = "") -> Petition:
    """The office sends an objected petition to the unit it designates; the new unit's
    acknowledgement period starts now."""
    petition_policy.require(actor, petition, "route")
    p = _lock(petition)
    if p.status != PetitionStatus.OBJECTED:
        raise ConflictError(_("只有被退回的信访件可以重新交办。"), code="petition_bad_transition")
    if unit is None or not unit.is_active:
        raise ApplicationError(
            _("请选择承办单位。"), code="unit_required", fields={"unit": [_("必填")]}
        )
    now = timezone.now()
    obligation_complete_for(subject=p, kind=KIND_REROUTE, actor=actor, at=now)
    p = petition_transition(
        p,
        PetitionStatus.RECEIVED,
        actor=actor,
        action="rerouted",
        note=note or _("重新交办至 %(unit)s") % {"unit": unit.name},
        public_note=_("已重新交 %(unit)s 办理。") % {"unit": unit.name},
        unit=unit,
        routed_at=now,
    )
    _open_ack(p, PetitionRules.current(), actor)
    return p


@transaction.atomic
def petition_note_review(
    *, actor: Any, event: PetitionEvent, approve: bool = True, public_note: str | None = None
) -> PetitionEvent | None:
    """The office reviews a public note written by staff: approved (possibly reworded), it
    is appended as a reviewed "note_reviewed" event and from then on shown to the public;
    rejected, it stays internal. History is append-only: the original event is unchanged."""
    p = _lock(event.petition)
    petition_policy.require(actor, p, "route")
    if event.petition_id != p.pk or not event.public_note or event.public_reviewed:
        raise ConflictError(_("该说明无需审核。"), code="note_not_pending")
    if p.events.filter(action__in=["note_reviewed", "note_rejected"], note=str(event.pk)).exists():
        raise ConflictError(_("该说明已审核。"), code="note_already_reviewed")
    text = (event.public_note if public_note is None else public_note).strip()
    if approve and not text:
        raise ApplicationError(
            _("公开说明不能为空。"), code="required", fields={"public_note": [_("必填")]}
        )
    reviewed = petition_event(
        p,
        action="note_reviewed" if approve else "note_rejected",
        actor=actor,
        note=str(event.pk),
        public_note=text if approve else "",
        public_reviewed=approve,
    )
    audit_record(
        actor=actor,
        action="petition.note_review",
        obj=p,
        object_repr=p.tracking_code,
        after={"event": event.pk, "approved": approve, "public_note": reviewed.public_note},
    )
    return reviewed if approve else None


def notes_pending_review(p: Petition) -> list[PetitionEvent]:
    done = set(
        p.events.filter(action__in=["note_reviewed", "note_rejected"]).values_list(
            "note", flat=True
        )
    )
    return [
        e
        for e in p.events.filter(public_reviewed=False).exclude(public_note="")
        if str(e.pk) not in done
    ]


@transaction.atomic
def petition_to_case(*, actor: Any, petition: Petition, title: str = "") -> Petition:
    """A petition that reveals a suspected violation becomes a case (T), opened by the
    unit handling it; the case keeps its link back here."""
    petition_policy.require(actor, petition, "handle")
    p = _lock(petition)
    if p.case_id:
        raise ConflictError(_("该信访件已转为案件。"), code="already_case")
    if p.status not in (PetitionStatus.ACCEPTED, PetitionStatus.REPLIED):
        raise ConflictError(_("受理后方可转为案件。"), code="petition_bad_transition")
    from . import case_bridge

    case = case_bridge.create_case(actor=actor, petition=p, title=title)
    p.case_id = case.pk
    p.case_label = str(case)[:200]
    p.save(update_fields=["case_id", "case_label", "updated_at"])
    petition_event(
        p,
        action="case",
        actor=actor,
        note=_("转为案件：%(case)s") % {"case": p.case_label},
        public_note=_("已立案调查。"),
    )
    audit_record(
        actor=actor,
        action="petition.to_case",
        obj=p,
        object_repr=p.tracking_code,
        after={"case_id": p.case_id},
    )
    return p


def effective(p: Petition) -> Petition:
    """A linked duplicate shows the progress of the petition it was merged into."""
    seen = set()
    while p.duplicate_of_id and p.pk not in seen:
        seen.add(p.pk)
        p = p.duplicate_of  # type: ignore[assignment]
    return p


def current_due(p: Petition) -> dt.datetime | None:
    from envgrid.obligations.models import Obligation

    p = effective(p)
    ob = (
        obligations_for(p)
        .filter(Q(kind=KIND_ACK) | Q(kind=KIND_HANDLE) | Q(kind=KIND_REROUTE))
        .order_by("-started_at")
        .first()
    )
    return ob.due_at if isinstance(ob, Obligation) else None
