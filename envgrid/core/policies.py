"""Base of the per-model policy objects (Wagtail's permission policies): one object
answers "may this user see/do this to that" for one object and for a queryset."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet

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


class ScopedPolicy(Policy):
    """The scope prelude that every unit-scoped policy shares, written once: an
    administrator sees everything, a login that is no person of the organisation sees
    nothing, and anyone else sees what the subclass's `visible(actor, qs)` keeps —
    usually its own unit's rows and those of the leading groups it oversees (see
    `own_or_overseen`).

    Core knows no Actor: `actor(user)` is bound one layer up, by
    `envgrid.org.policies.ActorScopedPolicy`, which is what the apps subclass."""

    def actor(self, user: Any) -> Any:
        raise NotImplementedError("subclass envgrid.org.policies.ActorScopedPolicy")

    def scope(self, user: Any, qs: QuerySet | None = None) -> QuerySet:
        qs = self.model._default_manager.all() if qs is None else qs
        actor = self.actor(user)
        if actor.is_admin:
            return qs
        if actor.person is None:
            return qs.none()
        return self.visible(actor, qs)

    def visible(self, actor: Any, qs: QuerySet) -> QuerySet:
        """What a person (not an administrator) sees of `qs`."""
        raise NotImplementedError


class ChildPolicy(Policy):
    """A model seen exactly when its parent is: `parent_field` names the foreign key and
    `parent_policy` the parent's policy (e.g. an action's participants, targets, officers)."""

    parent_field: str
    parent_policy: Policy

    def scope(self, user: Any, qs: QuerySet | None = None) -> QuerySet:
        qs = self.model._default_manager.all() if qs is None else qs
        return qs.filter(**{f"{self.parent_field}__in": self.parent_policy.scope(user)})


def own_or_overseen(actor: Any, *, unit: str = "unit_id", group: str = "leading_group_id") -> Q:
    """Rows of the actor's own unit (`unit` field) or of a leading group it oversees as
    office, leader or deputy (`group` field)."""
    return Q(**{unit: actor.unit_id}) | Q(**{f"{group}__in": actor.overseen_group_ids})
