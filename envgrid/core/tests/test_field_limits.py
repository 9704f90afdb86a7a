"""Every free-text field has a maximum length, and every string input is strict (issue 16,
part 3). The walks below cover every model of every envgrid app and every serializer
class defined in envgrid, so a new field declared without a limit fails here."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from rest_framework import serializers
from rest_framework.test import APIRequestFactory, force_authenticate

import envgrid
from envgrid.core import limits
from envgrid.core.serializer_fields import (
    StrictBooleanField,
    StrictCharField,
    StrictFloatField,
    StrictIntegerField,
)


def _envgrid_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m.__module__.startswith("envgrid.")]


def test_every_model_text_field_has_a_max_length():
    missing = [
        f"{model._meta.label}.{field.name}"
        for model in _envgrid_models()
        for field in model._meta.get_fields()
        if isinstance(field, (models.TextField, models.CharField)) and field.max_length is None
    ]
    assert len(_envgrid_models()) > 50
    assert missing == []


def test_every_model_text_field_limit_is_one_of_the_named_sizes():
    sizes = {limits.SHORT, limits.MEDIUM, limits.LONG, limits.HUGE}
    odd = [
        f"{model._meta.label}.{field.name}={field.max_length}"
        for model in _envgrid_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.TextField) and field.max_length not in sizes
    ]
    assert odd == []


def _all_subclasses(cls: type[Any]) -> set[type[Any]]:
    found: set[type[Any]] = set()
    subs: list[type[Any]] = type.__subclasses__(cls)
    for sub in subs:
        found.add(sub)
        found |= _all_subclasses(sub)
    return found


def _envgrid_serializers() -> list[type[serializers.Serializer]]:
    for info in pkgutil.walk_packages(envgrid.__path__, "envgrid."):
        leaf = info.name.rsplit(".", 1)[-1]
        if ".tests" in info.name or ".migrations" in info.name or ".management" in info.name:
            continue
        if leaf in ("api", "api_urls", "serializers", "views"):
            importlib.import_module(info.name)
    return sorted(
        (
            c
            for c in _all_subclasses(serializers.Serializer)
            if c.__module__.startswith("envgrid.")
            and not c.__module__.startswith("envgrid.core.tests")
        ),
        key=lambda c: f"{c.__module__}.{c.__qualname__}",
    )


def _walk(prefix: str, fields: Any) -> list[tuple[str, serializers.Field]]:
    out: list[tuple[str, serializers.Field]] = []
    for name, field in fields.items():
        if getattr(field, "read_only", False):
            continue
        path = f"{prefix}.{name}"
        if isinstance(field, serializers.ListSerializer):
            field = field.child
        if isinstance(field, serializers.ListField):
            out.append((f"{path}[]", field.child))
            continue
        if isinstance(field, serializers.Serializer):
            out.extend(_walk(path, field.fields))
            continue
        out.append((path, field))
    return out


def _writable_fields(world: Any) -> list[tuple[str, serializers.Field]]:
    request = APIRequestFactory().post("/api/")
    force_authenticate(request, user=world.admin)
    request.user = world.admin
    out: list[tuple[str, serializers.Field]] = []
    for cls in _envgrid_serializers():
        serializer = cls(context={"request": request, "view": None})
        out.extend(_walk(f"{cls.__module__}.{cls.__qualname__}", serializer.fields))
    return out


def test_every_writable_serializer_string_field_has_a_max_length(world):
    fields = _writable_fields(world)
    # An IP address field is bounded by its own format validator.
    strings = [
        (path, f)
        for path, f in fields
        if isinstance(f, serializers.CharField) and not isinstance(f, serializers.IPAddressField)
    ]
    missing = [path for path, f in strings if f.max_length is None]
    assert len(strings) > 200
    assert missing == []


def test_every_writable_serializer_scalar_field_is_strict(world):
    """A number for a string, a boolean for a number, "١٢" for an integer: refused by
    the field classes of envgrid.core.serializer_fields, used for every writable scalar."""
    lax = {
        serializers.CharField: StrictCharField,
        serializers.IntegerField: StrictIntegerField,
        serializers.FloatField: StrictFloatField,
        serializers.BooleanField: StrictBooleanField,
    }
    fields = _writable_fields(world)
    not_strict = [f"{path}: {type(f).__name__}" for path, f in fields if type(f) in lax]
    assert not_strict == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (StrictCharField(max_length=10), 12),
        (StrictCharField(max_length=10), 1.5),
        (StrictCharField(max_length=10), True),
        (StrictCharField(max_length=10), ["a"]),
        (StrictCharField(max_length=10), {"a": 1}),
        (StrictCharField(max_length=10), "x" * 11),
        (StrictIntegerField(), "12abc"),
        (StrictIntegerField(), "١٢"),
        (StrictIntegerField(), "²"),
        (StrictIntegerField(), " 12 "),
        (StrictIntegerField(), True),
        (StrictIntegerField(), 12.5),
        (StrictIntegerField(), [1]),
        (StrictFloatField(), "nan"),
        (StrictFloatField(), "inf"),
        (StrictFloatField(), float("nan")),
        (StrictFloatField(), "1_000"),
        (StrictFloatField(), "١٫٥"),
        (StrictFloatField(), False),
        (StrictBooleanField(), 1),
        (StrictBooleanField(), 0),
        (StrictBooleanField(), "maybe"),
        (StrictBooleanField(), [True]),
    ],
)
def test_strict_fields_refuse_wrong_types(field, value):
    with pytest.raises(serializers.ValidationError):
        field.run_validation(value)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        (StrictCharField(max_length=10), "文本", "文本"),
        (StrictIntegerField(), 12, 12),
        (StrictIntegerField(), "12", 12),
        (StrictIntegerField(), "-3", -3),
        (StrictFloatField(), "1.5", 1.5),
        (StrictFloatField(), 2, 2.0),
        (StrictFloatField(), "1e3", 1000.0),
        (StrictBooleanField(), True, True),
        (StrictBooleanField(), "on", True),
        (StrictBooleanField(), "false", False),
    ],
)
def test_strict_fields_take_the_right_types_and_form_strings(field, value, expected):
    assert field.run_validation(value) == expected
