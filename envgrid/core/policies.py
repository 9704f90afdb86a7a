"""Base of the per-model policy objects (Wagtail's permission policies): one object
answers "may this user see/do this to that" for one object and for a queryset."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import QuerySet

from .errors import NotFoundError, PermissionDeniedError


class Policy:
    model: type[models.Model]

    def scope(self, user: Any, qs: QuerySet | None = None) -> QuerySet:
        """The objects `user` may see. Subclasses narrow it; the default is nothing."""
        qs = self.model._default_manager.all() if qs is None else qs
        if getattr(user, "is_superuser", False):
            return qs
        return qs.none()

    def can_view(self, user: Any, obj: models.Model) -> bool:
        return self.scope(user).filter(pk=obj.pk).exists()

    def can_change(self, user: Any, obj: models.Model) -> bool:
        return bool(getattr(user, "is_superuser", False))

    def get_visible(self, user: Any, pk: Any, qs: QuerySet | None = None) -> Any:
        """Fetch by id through the scope: unseen and missing look the same (404)."""
        try:
            return self.scope(user, qs).get(pk=pk)
        except (ObjectDoesNotExist, ValueError, TypeError, OverflowError):
            # OverflowError: a 20-digit id on SQLite (issue 16).
            raise NotFoundError(str(self.model._meta.verbose_name) + " 未找到") from None

    def require_change(self, user: Any, obj: models.Model, message: str | None = None) -> None:
        if not self.can_view(user, obj):
            raise NotFoundError(str(self.model._meta.verbose_name) + " 未找到")
        if not self.can_change(user, obj):
            raise PermissionDeniedError(message or "无权进行此操作")
