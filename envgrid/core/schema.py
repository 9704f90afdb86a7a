"""OpenAPI schema generation (drf-spectacular) with one correction applied everywhere."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers


class AutoSchema(SpectacularAutoSchema):
    """A read-only field declared with `default=None` (a name through an optional
    relation, e.g. `parent.name`) answers null when the relation is empty, so the schema
    marks it nullable; found by the schemathesis run (issue 12, item 3)."""

    def _map_serializer_field(
        self, field: Any, direction: str, bypass_extensions: bool = False
    ) -> Any:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            field.read_only
            and field.default is None
            and not isinstance(field, serializers.BaseSerializer)
            and isinstance(schema, dict)
            and "$ref" not in schema
        ):
            schema["nullable"] = True
        return schema
