"""Issue 20, parts 1 and 4: one form layout on the case, transfer and dispute pages; the
transfer checklist from the service's own T3 check; the searchable selects' endpoint
scoped by the policies and searching credit code and pinyin initials."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from envgrid.cases import services as S
from envgrid.cases.models import Transfer
from envgrid.entities.models import SupervisedEntity

from .conftest import complete_case

pytestmark = pytest.mark.django_db


def _client(person):
    c = Client()
    c.force_login(person.user)
    return c


def _entity(name, uscc, grid, point):
    return SupervisedEntity.objects.create(
        name=name, uscc=uscc, lon=point[0], lat=point[1], grid=grid
    )


@pytest.fixture
def entities(tree):
    return {
        "ca": _entity("金山化工有限公司", "91210200MA0QAAAA1X", tree.g_ca, tree.p_ca),
        "cc": _entity("金海印染有限公司", "91210200MA0QCCCC3X", tree.g_cc, tree.p_cc),
    }


def _ids(response):
    assert response.status_code == 200
    return {r["id"] for r in response.json()["results"]}


def test_entity_lookup_never_shows_another_units_entity(tree, entities):
    c = _client(tree.ca_staff)
    assert _ids(c.get("/lookup/entities/", {"q": "金"})) == {entities["ca"].pk}
    # Not by its credit code, not by its initials, not by an empty search either.
    assert _ids(c.get("/lookup/entities/", {"q": "91210200MA0QCCCC"})) == set()
    assert _ids(c.get("/lookup/entities/", {"q": "jhyr"})) == set()
    assert entities["cc"].pk not in _ids(c.get("/lookup/entities/"))
    # The other community sees its own.
    assert _ids(_client(tree.cc_staff).get("/lookup/entities/", {"q": "金"})) == {entities["cc"].pk}


def test_entity_lookup_by_credit_code_and_pinyin_initials(tree, entities):
    c = _client(tree.ca_staff)
    assert _ids(c.get("/lookup/entities/", {"q": "91210200MA0QAAAA"})) == {entities["ca"].pk}
    assert _ids(c.get("/lookup/entities/", {"q": "jshg"})) == {entities["ca"].pk}
    assert _ids(c.get("/lookup/entities/", {"q": "JSHG"})) == {entities["ca"].pk}
    row = c.get("/lookup/entities/", {"q": "jshg"}).json()["results"][0]
    assert row["label"] == "金山化工有限公司"
    assert "91210200MA0QAAAA1X" in row["hint"]


def test_entity_initials_follow_a_rename(tree, entities):
    e = entities["ca"]
    e.name = "银河电镀厂"
    e.save(update_fields=["name"])
    e.refresh_from_db()
    assert e.name_initials == "yhddc"


def test_case_lookup_is_scoped_to_the_users_cases(tree):
    mine = complete_case(tree.ca_staff, point=tree.p_ca, title="甲社区偷排案")
    theirs = complete_case(tree.cc_staff, point=tree.p_cc, title="丙社区偷排案")
    c = _client(tree.ca_staff)
    found = _ids(c.get("/lookup/cases/", {"q": "偷排"}))
    assert mine.pk in found
    assert theirs.pk not in found
    assert _ids(c.get("/lookup/cases/", {"q": theirs.number})) == set()


def test_unit_and_people_lookup_by_initials(tree):
    c = _client(tree.ca_staff)
    units = c.get("/lookup/units/", {"q": "sqb"}).json()["results"]
    assert [u["label"] for u in units] == ["社区丙"]
    people = c.get("/lookup/people/", {"q": "社区甲"}).json()["results"]
    assert "社区甲网格员" in [p["label"] for p in people]


def test_unknown_lookup_kind_is_a_clear_404(tree):
    r = _client(tree.ca_staff).get("/lookup/secrets/")
    assert r.status_code == 404
    assert r.json()["code"] == "unknown_kind"


def test_new_case_form_uses_the_shared_layout(tree, entities):
    page = _client(tree.ca_staff).get("/cases/new/").content.decode()
    assert 'class="form-grid"' in page
    # The title takes the whole row; every field has a label; required marks on required.
    assert re.search(r'class="field field-title[^"]*\bwide\b', page)
    assert re.search(r'<label for="id_title">案件名称<abbr class="required"', page)
    assert re.search(r'<label for="id_address">违法行为发生地址</label>', page)
    # The entity field is a searchable select over the user's entities only.
    entity_select = re.search(r'<select name="entity"[^>]*>(.*?)</select>', page, re.S)
    assert entity_select is not None
    assert 'data-lookup="/lookup/entities/"' in entity_select.group(0)
    assert "金山化工有限公司" in entity_select.group(1)
    assert "金海印染有限公司" not in page


def test_new_case_with_an_entity_chosen_by_id(tree, entities):
    c = _client(tree.ca_staff)
    r = c.post(
        "/cases/new/",
        {
            "title": "某厂偷排",
            "source": "patrol",
            "discovered_at": "2026-01-05T09:00",
            "input_crs": "wgs84",
            "entity": entities["ca"].pk,
        },
    )
    assert r.status_code == 302
    # Another unit's entity is not a valid choice.
    r = c.post(
        "/cases/new/",
        {
            "title": "某厂偷排",
            "source": "patrol",
            "discovered_at": "2026-01-05T09:00",
            "input_crs": "wgs84",
            "entity": entities["cc"].pk,
        },
    )
    assert r.status_code == 400
    assert 'class="field field-entity has-error"' in r.content.decode()


def test_T3_transfer_checklist_marks_the_failing_condition(tree):
    case = complete_case(tree.ca_staff, point=tree.p_cc, evidence_count=0)
    page = _client(tree.ca_staff).get(f"/cases/{case.pk}/transfer/").content.decode()
    marks = dict(
        re.findall(r'data-condition="(\w+)"><span class="mark" aria-hidden="true">(.)</span>', page)
    )
    assert marks == {"facts": "✓", "evidence": "✗", "responsible_person": "✓", "entity": "✓"}
    assert "尚有未满足的条件" in page


def test_T3_transfer_checklist_all_met(tree):
    case = complete_case(tree.ca_staff, point=tree.p_cc)
    page = _client(tree.ca_staff).get(f"/cases/{case.pk}/transfer/").content.decode()
    assert page.count("✓</span>") == 4
    assert "✗" not in page
    assert "尚有未满足的条件" not in page


def test_suggested_community_receiver_is_selectable_and_confirmation_names_the_number(tree):
    case = complete_case(tree.ca_staff, point=tree.p_cc)
    # The community committee that owns the place's grid, outside the sender's directory.
    tree.world.group.member_units.remove(tree.cc)
    c = _client(tree.ca_staff)
    page = c.get(f"/cases/{case.pk}/transfer/").content.decode()
    assert f'data-fill="id_receiver_unit" data-value="{tree.cc.pk}"' in page
    assert re.search(rf'<option value="{tree.cc.pk}" selected>社区丙</option>', page)
    r = c.post(
        f"/cases/{case.pk}/transfer/",
        {"transfer_type": "jurisdiction", "receiver_unit": tree.cc.pk, "feedback_required": "on"},
        follow=True,
    )
    t = Transfer.objects.get()
    assert t.receiver_unit == tree.cc
    assert f"已移送 {t.number} 至 社区丙。" in r.content.decode()


def test_accept_confirmation_names_the_transfer_number(tree):
    case = complete_case(tree.ca_staff, point=tree.p_cc)
    t = S.transfer_create(
        actor=tree.ca_staff.user, case=case, transfer_type="jurisdiction", receiver_unit=tree.cc
    )
    r = _client(tree.cc_staff).post(f"/cases/transfers/{t.pk}/action/accept/", {}, follow=True)
    assert f"已受理移送 {t.number}。" in r.content.decode()
