"""Serializer fields that take input at its word (issue 16, part 3: strict types).

DRF is lax where a client's mistake should be an answer: a ``CharField`` stores the
number ``12`` as the text "12", an ``IntegerField`` takes "١٢" (Arabic-Indic digits)
or " 12 ", a ``FloatField`` takes "1_000", a ``BooleanField`` takes the number 1. The
fields here refuse those with the usual 400 ``{code: "invalid", fields: {name: ...}}``.

Form-encoded bodies (the staff pages, GeoReport clients under ``/open311/``) only ever
carry strings, so every string spelling DRF accepts for a number or a boolean is still
accepted; only JSON values of the wrong type are refused. ``install_strict_fields``
(called from ``CoreConfig.ready``) makes them the default of every ModelSerializer;
hand-declared fields name them directly.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

_ASCII_INTEGER = re.compile(r"-?[0-9]+(?:\.0*)?")
_ASCII_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


class StrictCharField(serializers.CharField):
    """A string, and only a string: a number, boolean, list or object is refused."""

    default_error_messages = {"invalid": _("应为文本（字符串），不接受数字、布尔值或列表。")}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """An integer, or a string of ASCII digits; not a boolean, "12abc", "١٢" or 12.5."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, float) and not data.is_integer():
            self.fail("invalid")
        if isinstance(data, str) and not _ASCII_INTEGER.fullmatch(data):
            self.fail("invalid")
        if not isinstance(data, (int, float, str)):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictFloatField(serializers.FloatField):
    """A finite number, or a string in ASCII decimal notation (no "nan", "inf", "1_000")."""

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool) or not isinstance(data, (int, float, str)):
            self.fail("invalid")
        if isinstance(data, str) and not _ASCII_DECIMAL.fullmatch(data.strip()):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """true/false; from a form the usual strings ("true", "on", "1", ...), never a number."""

    def to_internal_value(self, data: Any) -> Any:  # bool, or None when allow_null
        if data is None and self.allow_null:
            return None
        if not isinstance(data, (bool, str)):
            self.fail("invalid", input=data)
        return super().to_internal_value(data)


_STRICT: dict[type[serializers.Field], type[serializers.Field]] = {
    serializers.CharField: StrictCharField,
    serializers.IntegerField: StrictIntegerField,
    serializers.FloatField: StrictFloatField,
    serializers.BooleanField: StrictBooleanField,
}


def install_strict_fields() -> None:
    """Every ModelSerializer maps text, integer, float and boolean model fields to the
    strict fields above (the mapping dict is shared by all ModelSerializer subclasses)."""
    mapping = serializers.ModelSerializer.serializer_field_mapping
    for model_field, field_class in list(mapping.items()):
        strict = _STRICT.get(field_class)
        if strict is not None:
            mapping[model_field] = strict
    # Both text model fields explicitly (TextField is no CharField subclass in Django).
    mapping[models.CharField] = StrictCharField
    mapping[models.TextField] = StrictCharField
