"""Default API permission (kept apart from core.api: DRF imports it while loading views)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import IsAuthenticated


class ObjectInScope(IsAuthenticated):
    """Default API permission: signed in, and for a detail route the object must be in the
    caller's scope *before* any input is parsed — so an outsider gets 404, never a 400
    whose validation messages would confirm that the id exists (access matrix, issue 12)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", None)
        if (
            lookup
            and lookup in getattr(view, "kwargs", {})
            and hasattr(view, "get_object")
            and hasattr(view, "get_queryset")
        ):
            view.get_object()  # raises Http404 outside the scope
        return True
