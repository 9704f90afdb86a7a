"""Reads of obligations, scoped by who is asking."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from .models import Obligation
from .policies import obligation_policy
from .services import LIVE


def obligation_list(*, user: Any, qs: QuerySet | None = None) -> QuerySet:
    return obligation_policy.scope(user, qs).select_related("unit", "person")


def my_obligations(*, user: Any) -> QuerySet:
    """The home page list: what I or my unit owes, soonest due first."""
    from envgrid.org.selectors import actor_for

    actor = actor_for(user)
    if actor.person is None:
        return Obligation.objects.none()
    return (
        Obligation.objects.filter(status__in=LIVE)
        .filter(
            Q(person=actor.person) | Q(unit_id=actor.unit_id) | Q(escalated_to_id=actor.unit_id)
        )
        .select_related("unit", "person", "escalated_to")
        .order_by("due_at")
    )


def overdue_register(*, user: Any) -> QuerySet:
    """Items that went overdue (still open, or completed late): the T6 register."""
    return (
        obligation_list(user=user)
        .filter(Q(status="overdue") | Q(completed_late=True))
        .order_by("-due_at")
    )
