"""Who may see and act on publications, petitions, hazards and emission batches.

Staff only: the public reads published items through selectors.public_* and never
through these scopes."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from envgrid.core.errors import NotFoundError, PermissionDeniedError
from envgrid.org.policies import ActorScopedPolicy
from envgrid.org.selectors import Actor, actor_for

from .models import EmissionBatch, Hazard, Petition, Publication


def overseen_units(user: Any) -> set[int]:
    """Units an office or leader oversees: the members and office of its groups, and the
    owners of every grid in the subtrees attached to those groups (community owners are
    usually not member units, yet their petitions and hazards are the group's business)."""
    actor = actor_for(user)
    cached = getattr(actor, "_disclosure_overseen", None)
    if cached is not None:
        return set(cached)
    ids = actor.overseen_unit_ids()
    if actor.overseen_group_ids:
        from envgrid.grids.models import Grid

        roots = list(
            Grid.objects.filter(leading_group_id__in=actor.overseen_group_ids).values_list(
                "path", flat=True
            )
        )
        if roots:
            cond = Q()
            for path in roots:
                cond |= Q(path__startswith=path)
            ids |= set(Grid.objects.filter(cond).values_list("owner_unit_id", flat=True))
    actor._disclosure_overseen = ids  # type: ignore[attr-defined]
    return set(ids)


def visible_units(user: Any) -> set[int]:
    actor = actor_for(user)
    ids = overseen_units(user)
    if actor.unit_id:
        ids.add(actor.unit_id)
    return ids


class _UnitScopedPolicy(ActorScopedPolicy):
    """Seen by the unit in `unit_field` and by the offices and leaders overseeing it."""

    unit_field = "unit_id"

    def visible(self, actor: Actor, qs: QuerySet) -> QuerySet:
        return qs.filter(**{f"{self.unit_field}__in": visible_units(actor.user)})


def _oversees(user: Any, unit_id: int | None) -> bool:
    actor = actor_for(user)
    if actor.is_admin:
        return True
    return actor.is_office and unit_id in overseen_units(user)


class PublicationPolicy(_UnitScopedPolicy):
    model = Publication

    def can_change(self, user: Any, obj: Any) -> bool:
        actor = actor_for(user)
        return actor.is_admin or obj.unit_id == actor.unit_id or _oversees(user, obj.unit_id)

    def can_create_for(self, user: Any, unit: Any) -> bool:
        actor = actor_for(user)
        return actor.is_admin or unit.pk == actor.unit_id or _oversees(user, unit.pk)

    def can_review(self, user: Any, obj: Any) -> bool:
        """Review, publish and withdraw: the office overseeing the issuing unit (I2: screen
        and process before publishing), or an administrator."""
        return _oversees(user, obj.unit_id)

    def require_review(self, user: Any, obj: Any) -> None:
        if not self.can_view(user, obj):
            raise NotFoundError("公开信息未找到")
        if not self.can_review(user, obj):
            raise PermissionDeniedError("仅领导小组办公室可审核、发布或撤回公开信息。")


class PetitionPolicy(ActorScopedPolicy):
    model = Petition

    def visible(self, actor: Actor, qs: QuerySet) -> QuerySet:
        overseen = overseen_units(actor.user)
        cond = Q(unit_id=actor.unit_id)
        if overseen:
            cond |= Q(unit_id__in=overseen) | Q(office_unit_id__in=overseen)
        return qs.filter(cond)

    def can_handle(self, user: Any, obj: Any) -> bool:
        """Acknowledge, report progress, reply, extend, object: the unit it is routed to."""
        actor = actor_for(user)
        return actor.is_admin or (actor.person is not None and actor.unit_id == obj.unit_id)

    def can_route(self, user: Any, obj: Any) -> bool:
        """Re-route after an objection, link duplicates: the office that routed it."""
        actor = actor_for(user)
        if actor.is_admin:
            return True
        return actor.is_office and (
            obj.office_unit_id == actor.unit_id or obj.office_unit_id in overseen_units(user)
        )

    def require(self, user: Any, obj: Any, what: str) -> None:
        if not self.can_view(user, obj):
            raise NotFoundError("信访件未找到")
        allowed = self.can_route(user, obj) if what == "route" else self.can_handle(user, obj)
        if not allowed:
            raise PermissionDeniedError(
                "仅领导小组办公室可重新交办信访件。"
                if what == "route"
                else "仅承办单位可办理该信访件。"
            )


class HazardPolicy(_UnitScopedPolicy):
    model = Hazard
    unit_field = "responsible_unit_id"

    def can_change(self, user: Any, obj: Any) -> bool:
        actor = actor_for(user)
        return (
            actor.is_admin
            or obj.responsible_unit_id == actor.unit_id
            or _oversees(user, obj.responsible_unit_id)
        )


class EmissionBatchPolicy(_UnitScopedPolicy):
    model = EmissionBatch


publication_policy = PublicationPolicy()
petition_policy = PetitionPolicy()
hazard_policy = HazardPolicy()
emission_batch_policy = EmissionBatchPolicy()
