"""No hard deletes through the admin, and every admin write audited (issue 15, part 4).

Walks every model registered on the admin site — envgrid's own and the Django and
third-party ones (auth, authtoken, axes) — so a new registration is covered without
editing this test. Over the synthetic demo district, as an administrator:

- every admin uses the one base class (core.admin.EnvgridAdminMixin);
- no delete permission, no "delete selected" action, no delete box in an inline,
  unless the admin states why deleting is allowed;
- a POST to the delete URL and the bulk delete action are refused and the row stays;
- a change saved through the change form writes an audit row.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.forms import MultiWidget
from django.test import Client, RequestFactory
from django.urls import reverse

from envgrid.core.admin import EnvgridAdminMixin
from envgrid.core.models import AuditEvent
from envgrid.testing import make_user


def _admin_request(user: Any) -> Any:
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _registry() -> list[tuple[Any, Any]]:
    return sorted(admin.site._registry.items(), key=lambda kv: kv[0]._meta.label_lower)


def test_every_registered_admin_uses_the_base_and_offers_no_delete(db):
    user = make_user("admin_walker", superuser=True)
    request = _admin_request(user)
    failures: list[str] = []
    allowed: list[str] = []
    for model, model_admin in _registry():
        label = model._meta.label_lower
        if not isinstance(model_admin, EnvgridAdminMixin):
            failures.append(f"{label}: {type(model_admin).__name__} not on EnvgridAdminMixin")
            continue
        if model_admin.delete_allowed_because:
            allowed.append(label)
            continue
        if model_admin.has_delete_permission(request, None):
            failures.append(f"{label}: delete permission")
        if model_admin.has_delete_permission(request, model()):
            failures.append(f"{label}: delete permission on an object")
        if "delete_selected" in model_admin.get_actions(request):
            failures.append(f"{label}: delete_selected action")
        for inline in model_admin.get_inline_instances(request, None):
            if inline.can_delete and not getattr(inline, "delete_allowed_because", ""):
                failures.append(f"{label}: inline {type(inline).__name__} can delete")
    assert not failures, "\n".join(failures)
    # Deletion is allowed only where core.admin says why: token revocation and unlocking.
    assert allowed == ["authtoken.tokenproxy", "axes.accessattempt"]


def _value(value: Any) -> Any:
    if isinstance(value, bool):
        return "on" if value else None
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [str(getattr(v, "pk", v)) for v in value]
    return str(getattr(value, "pk", value))


def _form_data(form: Any, data: dict[str, Any]) -> None:
    for name in form.fields:
        bound = form[name]
        key = form.add_prefix(name)
        value = bound.value()
        widget = bound.field.widget
        if isinstance(widget, MultiWidget):
            parts = value if isinstance(value, list | tuple) else widget.decompress(value)
            for i, part in enumerate(parts or ()):
                if part is not None:
                    data[f"{key}_{i}"] = _value(part)
            continue
        if value is None:
            continue
        encoded = _value(value)
        if encoded is not None:
            data[key] = encoded


def change_form_data(response: Any) -> dict[str, Any]:
    """What a browser would post back from an unchanged admin change form."""
    data: dict[str, Any] = {}
    _form_data(response.context["adminform"].form, data)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        initial = len(formset.initial_forms)
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        data[management.add_prefix("TOTAL_FORMS")] = str(initial)
        for form in formset.initial_forms:
            _form_data(form, data)
    return data


@pytest.fixture
def demo(transactional_db):
    call_command("demo", stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_admin_refuses_every_delete_and_audits_every_change(demo, capsys):
    admin_user = make_user("admin_matrix", superuser=True)
    client = Client()
    client.force_login(admin_user)
    failures: list[str] = []
    deletes_refused = changes_audited = 0
    for model, model_admin in _registry():
        label = model._meta.label_lower
        info = (model._meta.app_label, model._meta.model_name)
        obj = model._default_manager.order_by("pk").first()
        if obj is None or model_admin.delete_allowed_because:
            continue
        manager = model._default_manager

        # The delete page refuses, GET and POST alike, and the row stays.
        url = reverse("admin:{}_{}_delete".format(*info), args=[obj.pk])
        for method in ("get", "post"):
            resp = getattr(client, method)(url, {"post": "yes"} if method == "post" else None)
            if resp.status_code != 403:
                failures.append(f"{label}: {method.upper()} delete -> {resp.status_code}")
        # The bulk action is not there to call.
        changelist = reverse("admin:{}_{}_changelist".format(*info))
        client.post(changelist, {"action": "delete_selected", "_selected_action": [obj.pk]})
        if not manager.filter(pk=obj.pk).exists():
            failures.append(f"{label}: deleted")
            continue
        deletes_refused += 1

        if not model_admin.has_change_permission(_admin_request(admin_user), obj):
            continue
        change_url = reverse("admin:{}_{}_change".format(*info), args=[obj.pk])
        page = client.get(change_url)
        assert page.status_code == 200, f"{label}: change page -> {page.status_code}"
        resp = client.post(change_url, change_form_data(page))
        if resp.status_code != 302:
            errors = resp.context["adminform"].form.errors if resp.context else resp.content[:200]
            failures.append(f"{label}: change not saved ({resp.status_code}): {errors}")
            continue
        audited = AuditEvent.objects.filter(
            action=f"admin.{label}.update", object_id=str(obj.pk), actor=admin_user
        )
        if not audited.exists():
            failures.append(f"{label}: change saved without an audit row")
            continue
        changes_audited += 1
    with capsys.disabled():
        print(
            f"\nadmin walk: {len(admin.site._registry)} registered models, "
            f"{deletes_refused} deletes refused, {changes_audited} changes audited"
        )
    assert not failures, "\n".join(failures)
    # The demo holds the editable rule records this walk must reach.
    assert changes_audited >= 8
