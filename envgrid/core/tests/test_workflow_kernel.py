"""The one workflow kernel (issue 15 part 1): every status move goes through
`envgrid.core.workflow.transition`, which locks the row, checks the declared table and the
actor's policy, writes one history row and one audit event, and refuses with the one code
`transition_not_allowed`. The source scan keeps it that way."""

# ruff: noqa: F811

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models
from django.db.models import ProtectedError
from django.urls import reverse

from envgrid.core import workflow as kernel
from envgrid.core.errors import ConflictError, PermissionDeniedError
from envgrid.core.models import AuditEvent
from envgrid.core.workflow import StatusHistory
from envgrid.enforcement.models import ActionStatus, ActionStatusChange, EnforcementAction

# The enforcement world (three units, certified officers) serves as the kernel's test bed;
# its fixtures are imported by name, which the test functions then take as arguments.
from envgrid.enforcement.tests.conftest import _fast_passwords, ew, frozen  # noqa: F401
from envgrid.enforcement.tests.factories import deployed, draft

ROOT = Path(__file__).resolve().parents[2]  # the envgrid package

# Status assignments the scan allows, each on a model with NO transition table (asserted
# below, so a table added later makes the entry fail instead of hiding a bypass).
ALLOWED = {
    # An error's HTTP status, not a model.
    ("core/errors.py", "self"): None,
    # An xlsx import job's progress (validating → done/refused/failed), a batch job.
    ("entities/services.py", "job"): "entities.EntityImportJob",
    ("entities/services.py", "update"): "entities.EntityImportJob",
    # A long job's progress (core.jobs: pending → running → done/failed/cancelled).
    ("core/jobs.py", "update"): "core.Job",
    # Obligations are moved by obligations.services (issue 15 part 2 decides ownership).
    ("obligations/services.py", "ob"): "obligations.Obligation",
    ("obligations/services.py", "update"): "obligations.Obligation",
}


def _status_fields() -> set[str]:
    return {wf.field for wf in kernel.registered().values()}


def _writes(tree: ast.AST, fields: set[str]) -> list[tuple[int, str]]:
    """(line, receiver) of every write to a status field: `x.status = ...`, `x.status +=`,
    `setattr(x, "status", ...)`, `.update(status=...)` and `.bulk_update(..., ["status"])`."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for t in targets:
            for sub in t.elts if isinstance(t, ast.Tuple | ast.List) else [t]:
                if isinstance(sub, ast.Attribute) and sub.attr in fields:
                    found.append((sub.lineno, ast.unparse(sub.value)))
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if (
                name == "setattr"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and node.args[1].value in fields
            ):
                found.append((node.lineno, ast.unparse(node.args[0])))
            if name == "update" and any(k.arg in fields for k in node.keywords):
                found.append((node.lineno, "update"))
            if name == "bulk_update" and any(
                isinstance(c, ast.Constant) and c.value in fields
                for arg in node.args[1:]
                for c in ast.walk(arg)
            ):
                found.append((node.lineno, "update"))
    return found


def test_no_status_assignment_outside_the_kernel():
    fields = _status_fields()
    assert fields == {"status"}
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if "/tests/" in f"/{rel}" or "/migrations/" in rel or rel == "core/workflow.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
        for line, receiver in _writes(tree, fields):
            if (rel, receiver) not in ALLOWED:
                offenders.append(f"{rel}:{line} ({receiver})")
    assert offenders == [], "\n".join(offenders)


def test_the_scan_finds_a_bypass_when_there_is_one():
    # The scan must not pass by seeing nothing: each form of bypass is found.
    source = (
        "case.status = 'closed'\n"
        "setattr(case, 'status', 'closed')\n"
        "Case.objects.filter(pk=1).update(status='closed')\n"
        "Case.objects.bulk_update(cases, ['status'])\n"
    )
    assert [line for line, _ in _writes(ast.parse(source), {"status"})] == [1, 2, 3, 4]


def test_allowed_status_writers_have_no_transition_table():
    tabled = {m._meta.label for m in kernel.registered()}
    for label in filter(None, ALLOWED.values()):
        assert apps.get_model(label)._meta.label not in tabled


def test_secondary_statuses_have_tables():
    tabled = {m._meta.label for m in kernel.registered()}
    assert {
        "cases.JurisdictionDispute",
        "obligations.Supervision",
        "assessment.AssessmentPlan",
        "enforcement.Finding",
        "patrols.Patrol",
    } <= tabled


def test_status_histories_share_one_shape_and_protect_their_subject():
    histories = [
        m for m in apps.get_models() if issubclass(m, StatusHistory) and not m._meta.abstract
    ]
    assert sorted(m.__name__ for m in histories) == [
        "ActionStatusChange",
        "AssessmentEvent",
        "AssignmentEvent",
        "CaseStatusChange",
        "CrimeFlagClearanceEvent",
        "DecisionStatusChange",
        "MeetingStatusChange",
        "ObligationEvent",
        "PetitionEvent",
        "ProposalEvent",
        "PublicationEvent",
        "ReportEvent",
        "TransferStatusChange",
    ]
    for model in histories:
        assert isinstance(model._meta.get_field("note"), models.TextField), model
        subjects = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, models.ForeignKey) and f.name not in ("actor", "unit")
        ]
        assert subjects, model
        for f in subjects:
            assert f.remote_field.on_delete is models.PROTECT, (model, f.name)


def test_every_table_with_a_history_names_its_history_subject():
    for model, wf in kernel.registered().items():
        if wf.history is not None:
            assert issubclass(wf.history, StatusHistory), model


def test_a_move_writes_one_history_row_and_one_audit_event(ew):
    action = draft(ew)
    history, audits = ActionStatusChange.objects.count(), AuditEvent.objects.count()
    kernel.transition(action, action="approve", actor=ew.org_leader.user, note="同意")
    action.refresh_from_db()
    assert action.status == ActionStatus.APPROVED
    row = ActionStatusChange.objects.order_by("-id").first()
    assert ActionStatusChange.objects.count() == history + 1
    assert (row.from_status, row.to_status, row.actor, row.note) == (
        ActionStatus.DRAFT,
        ActionStatus.APPROVED,
        ew.org_leader.user,
        "同意",
    )
    assert AuditEvent.objects.count() == audits + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == "enforcement.action.approve"
    assert (event.before["status"], event.after["status"]) == ("draft", "approved")


def test_a_move_not_in_the_table_is_409_transition_not_allowed_and_writes_nothing(ew):
    action = draft(ew)
    history, audits = ActionStatusChange.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ConflictError) as exc:
        kernel.transition(action, to=ActionStatus.COMPLETED, actor=ew.org_user)
    assert (exc.value.code, exc.value.status) == ("transition_not_allowed", 409)
    action.refresh_from_db()
    assert action.status == ActionStatus.DRAFT
    assert ActionStatusChange.objects.count() == history
    assert AuditEvent.objects.count() == audits


def test_the_stored_status_not_the_callers_stale_copy_decides(ew):
    action = deployed(ew)
    stale = EnforcementAction.objects.get(pk=action.pk)
    kernel.transition(action, action="cancel", actor=ew.org_user, note="天气原因")
    # The stale copy still says "deployed"; the kernel reads the locked row and refuses.
    assert stale.status == ActionStatus.DEPLOYED
    with pytest.raises(ConflictError) as exc:
        kernel.transition(stale, action="start", actor=ew.org_user)
    assert exc.value.code == "transition_not_allowed"
    stale.refresh_from_db()
    assert stale.status == ActionStatus.CANCELLED
    assert action.status_changes.filter(to_status=ActionStatus.IN_PROGRESS).count() == 0


def test_the_kernel_checks_the_actors_policy(ew):
    action = draft(ew)
    audits = AuditEvent.objects.count()
    # Ordinary staff of the organiser may not approve (E3: its leadership or the office).
    with pytest.raises(PermissionDeniedError) as exc:
        kernel.transition(action, action="approve", actor=ew.org_staff.user)
    assert (exc.value.code, exc.value.status) == ("transition_forbidden", 403)
    action.refresh_from_db()
    assert action.status == ActionStatus.DRAFT
    assert AuditEvent.objects.count() == audits


def test_actions_available_is_the_table_filtered_by_policy(ew):
    action = draft(ew)

    def names(user):
        return {t.action for t in kernel.actions_available(action, user)}

    assert names(ew.org_leader.user) == {"approve", "cancel"}
    assert names(ew.org_staff.user) == {"cancel"}
    assert names(ew.south_staff.user) == set()


def test_the_action_page_shows_the_buttons_the_kernel_allows(ew, client):
    action = draft(ew)
    client.force_login(ew.org_leader.user)
    page = client.get(reverse("enforcement:detail", args=[action.pk])).content.decode()
    assert 'id="btn-approve"' in page
    client.force_login(ew.org_staff.user)
    page = client.get(reverse("enforcement:detail", args=[action.pk])).content.decode()
    assert 'id="btn-approve"' not in page


def test_history_outlives_no_subject_deletion(ew):
    action = draft(ew)
    kernel.transition(action, action="approve", actor=ew.org_leader.user)
    with pytest.raises(ProtectedError):
        action.delete()
