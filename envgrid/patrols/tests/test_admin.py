"""Admin: plans editable by administrators (audited), patrols read-only and never deleted."""

from __future__ import annotations

from envgrid.core.models import AuditEvent
from envgrid.patrols.services import patrol_start, plan_set

from .conftest import T0


def test_admin_pages_and_audited_plan_edit(patrol_world, client):
    w = patrol_world
    plan = plan_set(actor=w.world.admin, grid=w.a1, staff=[w.staff], every_days={"key": 7})
    patrol = patrol_start(actor=w.staff.user, started_at=T0)
    client.force_login(w.world.admin)
    for url in (
        "/admin/patrols/patrolplan/",
        f"/admin/patrols/patrolplan/{plan.pk}/change/",
        "/admin/patrols/patrol/",
        f"/admin/patrols/patrol/{patrol.pk}/change/",
        "/admin/patrols/patrolcheck/",
        "/admin/patrols/patrolphoto/",
    ):
        assert client.get(url).status_code == 200, url
    req = plan.requirements.get()
    r = client.post(
        f"/admin/patrols/patrolplan/{plan.pk}/change/",
        {
            "grid": w.a1.pk,
            "staff": [w.staff.pk],
            "notes": "",
            "requirements-TOTAL_FORMS": "1",
            "requirements-INITIAL_FORMS": "1",
            "requirements-MIN_NUM_FORMS": "0",
            "requirements-MAX_NUM_FORMS": "1000",
            "requirements-0-id": req.pk,
            "requirements-0-plan": plan.pk,
            "requirements-0-category": "key",
            "requirements-0-every_days": "3",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    req.refresh_from_db()
    assert req.every_days == 3
    assert AuditEvent.objects.filter(action="admin.patrols.planrequirement.update").exists()
    assert client.post(f"/admin/patrols/patrol/{patrol.pk}/delete/").status_code == 403
    assert client.post(f"/admin/patrols/patrolplan/{plan.pk}/delete/").status_code == 403
