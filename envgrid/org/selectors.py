"""Reads for organisations, and the Actor: what a logged-in user is in the system."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from .models import Delegation, LeadingGroup, Person, PersonRole, Unit


@dataclass
class Actor:
    """Who is acting: the person, the unit, the role, and the leading groups the user
    oversees (as office staff, leader or deputy), descendants included."""

    user: Any
    person: Person | None = None
    is_admin: bool = False
    office_group_ids: set[int] = field(default_factory=set)
    led_group_ids: set[int] = field(default_factory=set)
    _overseen_unit_ids: set[int] | None = None

    @property
    def unit_id(self) -> int | None:
        return self.person.unit_id if self.person else None

    @property
    def role(self) -> str:
        if self.is_admin:
            return "admin"
        return self.person.role if self.person else "none"

    @property
    def overseen_group_ids(self) -> set[int]:
        return self.office_group_ids | self.led_group_ids

    @property
    def is_office(self) -> bool:
        return bool(self.office_group_ids)

    @property
    def is_leader(self) -> bool:
        return bool(self.led_group_ids)

    def overseen_unit_ids(self) -> set[int]:
        """Units inside the leading groups this actor oversees (members and offices)."""
        if self._overseen_unit_ids is None:
            groups = LeadingGroup.objects.filter(pk__in=self.overseen_group_ids)
            ids = set(groups.values_list("member_units", flat=True)) | set(
                groups.values_list("office_unit", flat=True)
            )
            ids.discard(None)
            self._overseen_unit_ids = ids
        return set(self._overseen_unit_ids or set())

    def visible_unit_ids(self) -> set[int]:
        ids = self.overseen_unit_ids()
        if self.unit_id:
            ids.add(self.unit_id)
        return ids


def _descendant_group_ids(root_ids: set[int]) -> set[int]:
    found = set(root_ids)
    frontier = set(root_ids)
    while frontier:
        frontier = (
            set(LeadingGroup.objects.filter(parent_id__in=frontier).values_list("id", flat=True))
            - found
        )
        found |= frontier
    return found


def actor_for(user: Any) -> Actor:
    """The Actor for a user, memoised on the user object for the request."""
    cached = getattr(user, "_envgrid_actor", None)
    if cached is not None:
        return cached
    if user is None or not getattr(user, "is_authenticated", False):
        actor = Actor(user=user)
    else:
        person = Person.objects.select_related("unit").filter(user=user, is_active=True).first()
        actor = Actor(user=user, person=person, is_admin=bool(user.is_superuser))
        if person is not None:
            if person.role == PersonRole.OFFICE:
                actor.office_group_ids = _descendant_group_ids(
                    set(
                        LeadingGroup.objects.filter(office_unit_id=person.unit_id).values_list(
                            "id", flat=True
                        )
                    )
                )
            led = set(
                LeadingGroup.objects.filter(Q(leader=person) | Q(deputies=person)).values_list(
                    "id", flat=True
                )
            )
            actor.led_group_ids = _descendant_group_ids(led)
    try:
        user._envgrid_actor = actor
    except AttributeError:
        pass
    return actor


def unit_list(*, user: Any, qs: QuerySet | None = None) -> QuerySet:
    from .policies import unit_policy

    return unit_policy.scope(user, qs)


def person_list(*, user: Any, qs: QuerySet | None = None) -> QuerySet:
    from .policies import person_policy

    return person_policy.scope(user, qs)


def delegation_valid(
    *, group: LeadingGroup, grantee: Person, day: Any, scope: str
) -> Delegation | None:
    """A live delegation from the leader or a deputy of `group` to `grantee` covering `day`."""
    conveners = {group.leader_id, *group.deputies.values_list("id", flat=True)}
    for d in Delegation.objects.filter(
        leading_group=group,
        grantee=grantee,
        grantor_id__in=conveners,
        revoked_at__isnull=True,
        scope=scope,
        valid_from__lte=day,
        valid_to__gte=day,
    ).order_by("-valid_from"):
        return d
    return None


def office_units_of(unit: Unit) -> QuerySet:
    """Office units of the leading groups this unit belongs to (escalation fallback)."""
    return Unit.objects.filter(
        pk__in=LeadingGroup.objects.filter(member_units=unit).values_list("office_unit", flat=True)
    )


# How close to its end a certificate counts as "expiring": data with a default (STYLE rule 5).
CERT_EXPIRING_DAYS = 30


def person_cert_status(person: Person, day: Any) -> str:
    """valid | expiring | expired | not_yet | none — what the person lists show (E5 input)."""
    if not person.cert_number or not person.cert_valid_from or not person.cert_valid_to:
        return "none"
    if day < person.cert_valid_from:
        return "not_yet"
    if day > person.cert_valid_to:
        return "expired"
    if (person.cert_valid_to - day).days < CERT_EXPIRING_DAYS:
        return "expiring"
    return "valid"


def person_cert_filter(qs: QuerySet, status: str, day: Any) -> QuerySet:
    """Narrow persons to one certificate status on `day` (same categories as above)."""
    import datetime as dt

    has = ~Q(cert_number="") & Q(cert_valid_from__isnull=False, cert_valid_to__isnull=False)
    soon = day + dt.timedelta(days=CERT_EXPIRING_DAYS)
    if status == "none":
        return qs.exclude(has)
    if status == "expired":
        return qs.filter(has, cert_valid_to__lt=day)
    if status == "not_yet":
        return qs.filter(has, cert_valid_from__gt=day)
    if status == "expiring":
        return qs.filter(
            has, cert_valid_from__lte=day, cert_valid_to__gte=day, cert_valid_to__lt=soon
        )
    if status == "valid":
        return qs.filter(has, cert_valid_from__lte=day, cert_valid_to__gte=soon)
    if status == "valid_today":  # valid or expiring: usable today
        return qs.filter(has, cert_valid_from__lte=day, cert_valid_to__gte=day)
    return qs
