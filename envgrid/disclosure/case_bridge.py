"""The one place that calls the cases app: a petition becomes a case (T) through
cases.services.case_create, so the case workflow owns its own rules."""

from __future__ import annotations

import inspect
from typing import Any

from django.utils.translation import gettext as _

from .models import CaseInformant, Petition
from .privacy import scrub


def create_case(*, actor: Any, petition: Petition, title: str = "") -> Any:
    from envgrid.cases.services import case_create

    title = (title or "").strip() or _("信访举报：%(cat)s（%(code)s）") % {
        "cat": petition.get_category_display(),
        "code": petition.tracking_code,
    }
    # Only what the case needs about the facts; the petitioner's identity goes into the
    # restricted CaseInformant record, never into the case's facts or description.
    facts = scrub(petition.description, petition)
    offered: dict[str, Any] = {
        "actor": actor,
        "title": title[:200],
        "source": "petition",
        "lon": petition.lon,
        "lat": petition.lat,
        "crs": "wgs84",
        "input_crs": "wgs84",
        "address": (petition.place_text or "")[:300],
        "facts": facts,
        "description": facts,
        "discovered_at": petition.received_at,
        "reported_at": petition.received_at,
        "unit": petition.unit,
        "owner_unit": petition.unit,
        "discovered_by_unit": petition.unit,
        "source_ref": petition.tracking_code,
    }
    params = inspect.signature(case_create).parameters
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    kwargs = {k: v for k, v in offered.items() if accepts_any or k in params}
    case = case_create(**kwargs)
    CaseInformant.objects.create(
        petition=petition,
        case_id=case.pk,
        name=petition.contact_name,
        phone=petition.contact_phone,
        email=petition.contact_email,
    )
    return case
