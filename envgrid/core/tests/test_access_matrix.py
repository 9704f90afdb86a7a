"""Access matrix generated from the URL configuration (issue 12, item 1; issue 15, part 7).

Every UI page and API endpoint is enumerated from the resolver, so a new endpoint is
covered without editing this test — and a new route it cannot classify fails it. Each
route is public, skipped for a stated reason, a collection, or names an object whose
model (and so whose scope) is known. Over the synthetic demo district:

- anonymous: every non-public URL answers a login redirect or 401/403, for reads and
  writes, and no row of any table is written (nor an audit entry);
- an outsider (a unit in no leading group, holding nothing): every URL that names an
  object answers 403/404/405 for GET, POST, PUT, PATCH and DELETE; nothing is written;
- every demo role: every route that names an object — API and pages alike — answers
  403/404 (405 for a method the route lacks) to GET and POST for an object outside the
  user's scope (picked from the model's policy, so no list of ids is kept here), and
  those requests write nothing.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.contrib.admindocs.views import extract_views_from_urlpatterns, simplify_regex
from django.core.management import call_command
from django.db.models import QuerySet
from django.test import Client
from django.urls import get_resolver

from envgrid.core.models import AuditEvent
from envgrid.core.policies import Policy
from envgrid.org.models import Person, PersonRole, Unit, UnitKind
from envgrid.testing import make_user

PUBLIC = re.compile(
    r"^/(accounts/|i18n/|jsi18n/|api/schema/|api/docs/|api/auth/token/|healthz|favicon|static/|open311/|"
    r"disclosure/(?!manage/|staff/))"
)
# Not walked here, each for a reason: the admin site has its own walk
# (test_admin_no_delete.py: administrators only, no deletes, every change audited);
# logging out and switching language write only the caller's own session.
SKIP = re.compile(r"^/(admin/|accounts/logout|i18n/)")
PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
DENIED = {403, 404, 405}

# Routes whose parameter is not a record id, each with what it is instead.
NOT_AN_OBJECT = {
    "/reporting/drill/<slug:key>/": "a dashboard figure's key, computed over the user's scope",
    "/disclosure/manage/draft/<str:what>/": "the kind of publication to draft",
    "/api/calendar/years/<int:year>/": "a calendar year: readable by anyone signed in",
    "/lookup/<slug:kind>/": "the kind a picker searches, each scoped by its policy "
    "(cases/tests/test_pickers_forms.py)",
}

# Which model the first parameter of a route names, for routes whose view does not say
# (pages and API views without a `policy`/`queryset`). Most specific first.
ROUTE_MODELS: list[tuple[str, str]] = [
    (r"^/org/units/<int:pk>/", "org.unit"),
    (r"^/org/persons/<int:pk>/", "org.person"),
    (r"^/org/groups/<int:pk>/", "org.leadinggroup"),
    (r"^/org/training/<int:pk>/", "org.trainingrecord"),
    (r"^/accountability/findings/<int:pk>/", "accountability.consequencefinding"),
    (r"^/accountability/proposals/<int:pk>/", "accountability.accountabilityproposal"),
    (r"^/security/tokens/<int:pk>/", "security.apitoken"),
    (r"^/api/auth/tokens/<int:pk>/", "security.apitoken"),
    (r"^/obligations/supervision/<int:pk>/", "obligations.supervision"),
    (r"^/obligations/<int:pk>/", "obligations.obligation"),
    (r"^/grids/assignments/<int:pk>/", "grids.gridassignment"),
    (r"^/grids/<int:pk>/", "grids.grid"),
    (r"^/api/grid-assignments/<pk>/", "grids.gridassignment"),
    (r"^/api/grid-major-adjustments/<pk>/", "grids.majoradjustment"),
    (r"^/entities/import/<int:pk>/", "entities.entityimportjob"),
    (r"^/entities/<int:pk>/", "entities.supervisedentity"),
    (r"^/api/entity-import-jobs/<pk>/", "entities.entityimportjob"),
    (r"^/core/jobs/<int:pk>/", "core.job"),
    (r"^/api/jobs/<int:pk>/", "core.job"),
    (r"^/api/entities/<pk>/", "entities.supervisedentity"),
    (r"^/cases/evidence/<int:pk>/", "cases.evidence"),
    (r"^/api/evidence/<int:pk>/", "cases.evidence"),
    (r"^/cases/transfer-evidence/<int:pk>/", "cases.transferevidence"),
    (r"^/api/transfer-evidence/<int:pk>/", "cases.transferevidence"),
    (r"^/cases/transfers/<int:pk>/", "cases.transfer"),
    (r"^/cases/disputes/<int:pk>/", "cases.jurisdictiondispute"),
    (r"^/cases/<int:pk>/", "cases.case"),
    (r"^/meetings/decisions/<int:pk>/", "meetings.decision"),
    (r"^/meetings/task-reports/<int:pk>/", "meetings.taskreport"),
    (r"^/meetings/<int:pk>/", "meetings.meeting"),
    (r"^/enforcement/participants/<int:pid>/", "enforcement.actionparticipant"),
    (r"^/enforcement/assignments/<int:aid>/", "enforcement.assignment"),
    (r"^/enforcement/inspections/<int:iid>/", "enforcement.inspection"),
    (r"^/enforcement/findings/<int:fid>/", "enforcement.finding"),
    (r"^/enforcement/photos/<int:photo_id>/", "enforcement.inspectionphoto"),
    (r"^/enforcement/<int:pk>/", "enforcement.enforcementaction"),
    (r"^/patrols/plans/<int:grid_pk>/", "grids.grid"),
    (r"^/patrols/photos/<int:pk>/", "patrols.patrolphoto"),
    (r"^/patrols/<int:pk>/", "patrols.patrol"),
    (r"^/reporting/reports/<int:pk>/", "reporting.report"),
    (r"^/api/reporting/reports/<pk>/", "reporting.report"),
    (r"^/reporting/schedules/<int:pk>/", "reporting.reportschedule"),
    (r"^/api/reporting/schedules/<pk>/", "reporting.reportschedule"),
    (r"^/reporting/dues/<int:pk>/", "reporting.reportdue"),
    (r"^/api/reporting/dues/<pk>/", "reporting.reportdue"),
    (r"^/disclosure/manage/hazards/<int:pk>/", "disclosure.hazard"),
    (r"^/disclosure/manage/<int:pk>/", "disclosure.publication"),
    (r"^/disclosure/staff/petitions/<int:pk>/", "disclosure.petition"),
    (r"^/disclosure/staff/photos/<int:pk>/", "disclosure.petitionphoto"),
    (r"^/assessment/plans/<int:pk>/", "assessment.assessmentplan"),
    (r"^/assessment/evaluations/<int:pk>/", "assessment.unitevaluation"),
    (r"^/assessment/evidence/<int:pk>/", "assessment.evidencefile"),
    (r"^/assessment/<int:pk>/", "assessment.assessment"),
]

# Models without a policy of their own are seen through their parent's scope.
THROUGH_PARENT = {
    "grids.gridassignment": ("grid", "grids.grid"),
    "grids.majoradjustment": ("grid", "grids.grid"),
    "assessment.planindicator": ("plan", "assessment.assessmentplan"),
    "cases.evidence": ("case", "cases.case"),
    "cases.transferevidence": ("transfer", "cases.transfer"),
    "disclosure.petitionphoto": ("petition", "disclosure.petition"),
    "enforcement.inspectionphoto": ("inspection", "enforcement.inspection"),
    "patrols.patrolphoto": ("patrol", "patrols.patrol"),
}


def _names_object(route: str) -> bool:
    """A parameter other than a format suffix (".json") names something."""
    return any(m.group(2) != "format" for m in PARAM.finditer(route))


def _sample(name: str, conv: str | None) -> str:
    if name == "format":
        return "json"
    if conv in (None, "int") or name in {"pk", "id"} or name.endswith("_id") or name.endswith("pk"):
        return "1"
    return "x1"


def _concrete(route: str, first: str | None = None) -> str:
    """The route with sample values; `first` replaces its first parameter (the object)."""
    if first is not None:
        route = PARAM.sub(first, route, count=1)
    return PARAM.sub(lambda m: _sample(m.group(2), m.group(1)), route).replace("\\.", ".")


def all_urls() -> list[tuple[str, bool]]:
    """(concrete path, has_object) for every pattern in the URL configuration."""
    seen: set[str] = set()
    out: list[tuple[str, bool]] = []
    for _view, regex, _ns, _name in extract_views_from_urlpatterns(get_resolver().url_patterns):
        route = simplify_regex(regex)  # type: ignore[arg-type]
        if SKIP.match(route):
            continue
        has_object = _names_object(route)
        path = _concrete(route)
        if path not in seen:
            seen.add(path)
            out.append((path, has_object))
    return out


def _policies() -> dict[str, Policy]:
    """One policy per model, found by walking Policy's subclasses in every app."""
    for config in apps.get_app_configs():
        if config.name.startswith("envgrid."):
            with contextlib.suppress(ModuleNotFoundError):
                importlib.import_module(f"{config.name}.policies")
    found: dict[str, Policy] = {}

    def walk(cls: type[Policy]) -> None:
        for sub in cls.__subclasses__():
            model = getattr(sub, "model", None)
            if model is not None:
                found.setdefault(model._meta.label_lower, sub())
            walk(sub)

    walk(Policy)
    return found


Scope = Callable[[Any], QuerySet]


def _scope_for(label: str, policies: dict[str, Policy]) -> Scope | None:
    model = apps.get_model(label)
    if label in policies:
        policy = policies[label]
        return lambda user: policy.scope(user, model._default_manager.all())
    if label in THROUGH_PARENT:
        field, parent = THROUGH_PARENT[label]
        parent_scope = _scope_for(parent, policies)
        assert parent_scope is not None
        return lambda user: model._default_manager.filter(
            **{f"{field}__in": parent_scope(user).values("pk")}
        )
    if label == "security.apitoken":
        # A token is seen by its owner; administrators see all (security.api).
        return lambda user: (
            model._default_manager.all()
            if user.is_superuser
            else model._default_manager.filter(user_id=user.pk)
        )
    if label == "entities.entityimportjob":
        # An import job is seen by the person who started it (and administrators).
        return lambda user: model._default_manager.filter(created_by_id=user.pk)
    if label == "core.job":
        # A long job (core.jobs) is seen by the person who started it; administrators
        # see all.
        return lambda user: (
            model._default_manager.all()
            if user.is_superuser
            else model._default_manager.filter(created_by_id=user.pk)
        )
    return None


def classify_routes() -> tuple[list[tuple[str, str, Scope]], list[str]]:
    """Every route that names an object, with its model and scope; and the routes that
    could not be classified (the test fails on any)."""
    from rest_framework.viewsets import ViewSetMixin

    policies = _policies()
    objects: list[tuple[str, str, Scope]] = []
    unclassified: list[str] = []
    seen: set[str] = set()
    for view, regex, _ns, _name in extract_views_from_urlpatterns(get_resolver().url_patterns):
        route = simplify_regex(regex)  # type: ignore[arg-type]
        if route in seen:
            continue
        seen.add(route)
        if SKIP.match(route) or PUBLIC.match(route) or not _names_object(route):
            continue
        if route in NOT_AN_OBJECT:
            continue
        cls = getattr(view, "cls", None)
        label: str | None = None
        scope: Scope | None = None
        if cls is not None and issubclass(cls, ViewSetMixin):
            policy = getattr(cls, "policy", None)
            queryset = getattr(cls, "queryset", None)
            if policy is not None:
                label = policy.model._meta.label_lower
                scope = (lambda p: lambda user: p.scope(user, p.model._default_manager.all()))(
                    policy
                )
            elif queryset is not None:
                label = queryset.model._meta.label_lower
        if label is None:
            label = next((m for pat, m in ROUTE_MODELS if re.match(pat, route)), None)
        if label is not None and scope is None:
            scope = _scope_for(label, policies)
        if label is None or scope is None:
            unclassified.append(route)
            continue
        objects.append((route, label, scope))
    return objects, unclassified


def db_fingerprint() -> Counter:
    counts: Counter = Counter()
    for model in apps.get_models():
        if model._meta.app_label in {"sessions", "admin", "axes", "authtoken"}:
            continue
        if model._meta.label_lower in {"core.notification"}:
            continue
        counts[model._meta.label_lower] = model._default_manager.count()
    return counts


def _changed(before: Counter, after: Counter) -> dict[str, tuple[int, int]]:
    return {k: (before[k], after[k]) for k in before | after if before[k] != after[k]}


@pytest.fixture
def demo(transactional_db):
    call_command("demo", stdout=io.StringIO())


def test_every_route_is_classified(db):
    """A route naming an object that the matrix cannot tie to a model and its scope is a
    route whose access nobody checks: fail until it is classified."""
    objects, unclassified = classify_routes()
    assert unclassified == []
    assert len(objects) > 100


@pytest.mark.django_db(transaction=True)
def test_access_matrix(demo, capsys):
    """One demo load (the slow part) serves both halves of the matrix."""
    _roles_denied_outside_their_scope(capsys)
    _anonymous_and_outsider(capsys)


def _anonymous_and_outsider(capsys):
    urls = all_urls()
    before = db_fingerprint()
    audit_before = AuditEvent.objects.count()
    anon = Client()
    failures: list[str] = []
    checked = 0
    for path, _has_object in urls:
        if PUBLIC.match(path):
            continue
        for method in ("get", "post"):
            resp = getattr(anon, method)(path)
            checked += 1
            ok = resp.status_code in {401, 403, 404, 405} or (
                resp.status_code == 302 and "/accounts/login/" in resp.get("Location", "")
            )
            if not ok:
                failures.append(f"anonymous {method.upper()} {path} -> {resp.status_code}")
    # Anonymous requests wrote nothing: no table gained or lost a row, no audit entry.
    assert _changed(before, db_fingerprint()) == {}
    assert AuditEvent.objects.count() == audit_before

    outsider_unit = Unit.objects.create(code="OUTSIDER", name="矩阵测试外单位", kind=UnitKind.OTHER)
    user = make_user("matrix_outsider")
    Person.objects.create(name="矩阵测试人员", unit=outsider_unit, role=PersonRole.UNIT, user=user)
    before = db_fingerprint()
    audit_before = AuditEvent.objects.count()
    client = Client()
    client.force_login(user)
    for path, has_object in urls:
        if PUBLIC.match(path) or not has_object:
            continue
        for method in ("get", "post", "put", "patch", "delete"):
            resp = (
                getattr(client, method)(path, content_type="application/json", data="{}")
                if method != "get"
                else client.get(path)
            )
            checked += 1
            if resp.status_code not in DENIED:
                failures.append(f"outsider {method.upper()} {path} -> {resp.status_code}")
    changed = _changed(before, db_fingerprint())
    with capsys.disabled():
        print(
            f"\naccess matrix: {len(urls)} URL patterns, {checked} requests as anonymous and outsider"
        )
    assert not failures, "\n".join(failures)
    assert not changed, f"rows written by denied requests: {changed}"
    assert AuditEvent.objects.count() == audit_before


def _roles_denied_outside_their_scope(capsys):
    """Every demo role asks every object route (API and pages) for an object outside its
    scope, by GET and POST, and is refused without a write."""
    objects, unclassified = classify_routes()
    assert unclassified == []
    roles = Person.objects.filter(user__isnull=False, user__is_superuser=False).exclude(
        role=PersonRole.LEADER
    )
    users = {}
    for p in roles.order_by("role", "id"):
        users.setdefault((p.role, p.unit.kind), p.user)
    before = db_fingerprint()
    audit_before = AuditEvent.objects.count()
    failures, checked, routes_hit = [], 0, set()
    for (role, kind), user in users.items():
        client = Client()
        client.force_login(user)
        hidden_by_label: dict[str, Any] = {}
        for route, label, scope in objects:
            if label not in hidden_by_label:
                model = apps.get_model(label)
                visible = scope(user).values("pk")
                hidden_by_label[label] = (
                    model._default_manager.exclude(pk__in=visible).order_by("pk").first()
                )
            hidden = hidden_by_label[label]
            if hidden is None:
                continue
            path = _concrete(route, str(hidden.pk))
            routes_hit.add(route)
            for method in ("get", "post"):
                resp = getattr(client, method)(path)
                checked += 1
                if resp.status_code not in DENIED:
                    failures.append(
                        f"{role}/{kind} {method.upper()} {path} ({label} outside scope)"
                        f" -> {resp.status_code}"
                    )
    changed = _changed(before, db_fingerprint())
    with capsys.disabled():
        print(
            f"\naccess matrix: {len(objects)} object routes ({len(routes_hit)} with an object"
            f" outside some role's scope) × {len(users)} roles, {checked} out-of-scope requests"
        )
    assert not failures, "\n".join(failures)
    assert not changed, f"rows written by out-of-scope requests: {changed}"
    assert AuditEvent.objects.count() == audit_before
