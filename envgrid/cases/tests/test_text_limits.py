"""Free text has a maximum length and string fields take strings (issue 16, part 3): an
over-limit title, a 20,001-character description, a number where text is expected, a
boolean given as 1 or digits in another script are refused with 400 {code, message,
fields} naming the field, and nothing is written."""

from __future__ import annotations

import pytest

from envgrid.cases.models import Case
from envgrid.core import limits
from envgrid.core.models import AuditEvent

from .conftest import complete_case

pytestmark = pytest.mark.django_db

TITLE_MAX = int(Case._meta.get_field("title").max_length or 0)


def _case_body(tree, **override):
    body = {
        "title": "热线反映异味",
        "source": "hotline",
        "lon": tree.p_cc[0],
        "lat": tree.p_cc[1],
        "input_crs": "wgs84",
        "reported_at": "2026-01-05T09:00:00+08:00",
        "discovered_at": "2026-01-05T10:00:00+08:00",
    }
    body.update(override)
    return body


def _written() -> tuple[int, int]:
    return Case.objects.count(), AuditEvent.objects.count()


def _refused_naming(resp, field: str) -> dict:
    assert resp.status_code == 400, resp.content
    body = resp.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == [field]
    assert body["message"].startswith(f"{field}: ")
    return body


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "长" * (TITLE_MAX + 1)),
        ("description", "x" * (limits.LONG + 1)),
        ("facts", "违" * (limits.LONG + 1)),
        ("address", "址" * 301),
    ],
)
def test_over_limit_text_on_case_create_is_refused_naming_the_field(tree, api, field, value):
    api.force_authenticate(tree.ca_staff.user)
    before = _written()
    _refused_naming(api.post("/api/cases/", _case_body(tree, **{field: value})), field)
    assert _written() == before


def test_text_at_the_limit_is_accepted(tree, api):
    api.force_authenticate(tree.ca_staff.user)
    title = "长" * TITLE_MAX
    resp = api.post("/api/cases/", _case_body(tree, title=title, facts="违" * limits.LONG))
    assert resp.status_code == 201, resp.content
    case = Case.objects.get(pk=resp.json()["id"])
    assert (len(case.title), len(case.facts)) == (TITLE_MAX, limits.LONG)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", 12345),
        ("title", 1.5),
        ("title", ["热线"]),
        ("title", {"zh": "热线"}),
        ("description", 0),
        ("lon", "12abc"),
        ("lon", "１２３"),
        ("lat", "nan"),
        ("suspected_crime", 1),
        ("suspected_crime", "maybe"),
    ],
)
def test_wrong_type_on_case_create_is_refused_naming_the_field(tree, api, field, value):
    api.force_authenticate(tree.ca_staff.user)
    before = _written()
    _refused_naming(api.post("/api/cases/", _case_body(tree, **{field: value})), field)
    assert _written() == before


def test_a_number_for_a_string_is_not_stored_as_text(tree, api):
    api.force_authenticate(tree.ca_staff.user)
    body = _refused_naming(api.post("/api/cases/", _case_body(tree, title=404)), "title")
    assert "文本" in body["fields"]["title"][0]
    assert not Case.objects.filter(title="404").exists()


def test_over_limit_and_wrong_type_on_case_update_change_nothing(tree, api):
    case = complete_case(tree.ca_staff, point=tree.p_ca)
    api.force_authenticate(tree.ca_staff.user)
    facts, tip = case.facts, AuditEvent.objects.count()
    _refused_naming(
        api.patch(f"/api/cases/{case.pk}/", {"facts": "x" * (limits.LONG + 1)}), "facts"
    )
    _refused_naming(api.patch(f"/api/cases/{case.pk}/", {"facts": 7}), "facts")
    case.refresh_from_db()
    assert case.facts == facts
    assert AuditEvent.objects.count() == tip


def test_over_limit_note_on_an_action_changes_no_status(tree, api):
    case = complete_case(tree.ca_staff, point=tree.p_ca)
    api.force_authenticate(tree.ca_staff.user)
    status = case.status
    resp = api.post(
        f"/api/cases/{case.pk}/close/",
        {"outcome": "administrative_penalty", "note": "结" * (limits.LONG + 1)},
    )
    _refused_naming(resp, "note")
    case.refresh_from_db()
    assert case.status == status


def test_the_staff_form_refuses_over_limit_text_too(tree, client):
    client.force_login(tree.ca_staff.user)
    before = _written()
    data = {
        "title": "热线反映异味",
        "source": "hotline",
        "discovered_at": "2026-01-05T10:00",
        "lon": tree.p_cc[0],
        "lat": tree.p_cc[1],
        "input_crs": "wgs84",
        "facts": "违" * (limits.LONG + 1),
    }
    resp = client.post("/cases/new/", data)
    assert resp.status_code == 400
    assert "facts" in resp.context["form"].errors
    assert _written() == before
