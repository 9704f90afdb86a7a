"""Access matrix generated from the URL configuration (issue 12, item 1).

Every UI page and API endpoint is enumerated from the resolver, so a new endpoint is
covered without editing this test. Over the synthetic demo district:

- anonymous: every non-public URL answers a login redirect or 401/403, for reads and
  writes, and nothing is written;
- an outsider (a unit in no leading group, holding nothing): every URL that names an
  object answers 403/404/405 for GET, POST, PUT, PATCH and DELETE; nothing is written;
- every demo role: each scoped API viewset answers 404 for an object outside the
  user's scope (picked from the policy itself, so no list of ids is kept here).
"""

from __future__ import annotations

import io
import re
from collections import Counter

import pytest
from django.apps import apps
from django.contrib.admindocs.views import extract_views_from_urlpatterns, simplify_regex
from django.core.management import call_command
from django.test import Client
from django.urls import get_resolver

from envgrid.core.models import AuditEvent
from envgrid.org.models import Person, PersonRole, Unit, UnitKind
from envgrid.testing import make_user

PUBLIC = re.compile(
    r"^/(accounts/|i18n/|jsi18n/|api/schema/|api/docs/|api/auth/token/|healthz|favicon|static/|open311/|"
    r"disclosure/(?!manage/|staff/))"
)
SKIP = re.compile(r"^/(admin/|accounts/logout|i18n/)")
PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
DENIED = {403, 404, 405}


def _sample(name: str, conv: str | None) -> str:
    if conv in (None, "int") or name in {"pk", "id"} or name.endswith("_id") or name.endswith("pk"):
        return "1"
    return "x1"


def all_urls() -> list[tuple[str, bool]]:
    """(concrete path, has_object) for every pattern in the URL configuration."""
    seen: set[str] = set()
    out: list[tuple[str, bool]] = []
    for _view, regex, _ns, _name in extract_views_from_urlpatterns(get_resolver().url_patterns):
        route = simplify_regex(regex)  # type: ignore[arg-type]
        if SKIP.match(route) or "<var>" in route:
            continue
        has_object = bool(PARAM.search(route))
        path = PARAM.sub(lambda m: _sample(m.group(2), m.group(1)), route)
        path = path.replace("\\.", ".")
        if path not in seen:
            seen.add(path)
            out.append((path, has_object))
    return out


def db_fingerprint() -> Counter:
    counts: Counter = Counter()
    for model in apps.get_models():
        if model._meta.app_label in {"sessions", "admin", "axes", "authtoken"}:
            continue
        if model._meta.label_lower in {"core.notification"}:
            continue
        counts[model._meta.label_lower] = model._default_manager.count()
    return counts


@pytest.fixture
def demo(transactional_db):
    call_command("demo", stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_access_matrix(demo, capsys):
    """One demo load (the slow part) serves both halves of the matrix."""
    _roles_get_404_outside_their_scope(capsys)
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
    after = db_fingerprint()
    changed = {k: (before[k], after[k]) for k in before | after if before[k] != after[k]}
    with capsys.disabled():
        print(
            f"\naccess matrix: {len(urls)} URL patterns, {checked} requests as anonymous and outsider"
        )
    assert not failures, "\n".join(failures)
    assert not changed, f"rows written by denied requests: {changed}"
    assert AuditEvent.objects.count() == audit_before


def _roles_get_404_outside_their_scope(capsys):
    """For every API viewset that declares a policy, every demo role asks for an object
    outside its scope and gets 404."""
    from rest_framework.viewsets import ViewSetMixin

    targets = []
    for view, regex, _ns, _name in extract_views_from_urlpatterns(get_resolver().url_patterns):
        cls = getattr(view, "cls", None)
        route = simplify_regex(regex)  # type: ignore[arg-type]
        if (
            cls is None
            or not issubclass(cls, ViewSetMixin)
            or getattr(view, "actions", {}).get("get") != "retrieve"
        ):
            continue
        policy = getattr(cls, "policy", None)
        queryset = getattr(cls, "queryset", None)
        if policy is None or queryset is None:
            continue
        targets.append((route, policy, queryset.model))
    assert targets, "no scoped API viewsets found"
    roles = Person.objects.filter(user__isnull=False, user__is_superuser=False).exclude(
        role=PersonRole.LEADER
    )
    users = {}
    for p in roles.order_by("role", "id"):
        users.setdefault((p.role, p.unit.kind), p.user)
    failures, checked = [], 0
    for (role, kind), user in users.items():
        client = Client()
        client.force_login(user)
        for route, policy, model in targets:
            visible = policy.scope(user, model._default_manager.all()).values("pk")
            hidden = model._default_manager.exclude(pk__in=visible).order_by("pk").first()
            if hidden is None:
                continue
            path = PARAM.sub(str(hidden.pk), route, count=1)
            resp = client.get(path)
            checked += 1
            if resp.status_code not in {403, 404}:
                failures.append(
                    f"{role}/{kind} GET {path} ({model.__name__} outside scope) -> {resp.status_code}"
                )
    with capsys.disabled():
        print(
            f"\naccess matrix: {len(targets)} scoped endpoints × {len(users)} roles, {checked} out-of-scope reads"
        )
    assert not failures, "\n".join(failures)
