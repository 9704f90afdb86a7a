"""Audit log: every service write records who, when, what, before/after, hash-chained.

Each row's hash covers its own content and the previous row's hash, and the single
AuditHead row holds the tip, so `envgrid audit-verify` finds rows altered, inserted
or deleted (also at the end of the chain) by anything that bypassed the application.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from .models import AuditEvent, AuditHead

GENESIS = "0" * 64


def _jsonable(value: Any) -> Any:
    """Normalise to what a JSONField gives back, so hashing before and after storage agree."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """Concrete field values of a model instance (foreign keys by id), JSON-ready."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        value = getattr(obj, field.attname)
        if isinstance(value, (dt.datetime, dt.date, dt.time, Decimal)):
            value = DjangoJSONEncoder().default(value)
        elif isinstance(value, (bytes, memoryview)):
            value = f"<{len(value)} bytes>"
        elif hasattr(value, "name") and hasattr(value, "storage"):  # FieldFile
            value = value.name or ""
        data[field.name] = value
    return _jsonable(data)


def _content_hash(
    *,
    seq: int,
    at: dt.datetime,
    actor_id: int | None,
    actor_repr: str,
    action: str,
    object_type: str,
    object_id: str,
    object_repr: str,
    before: Any,
    after: Any,
    prev_hash: str,
) -> str:
    payload = json.dumps(
        [
            seq,
            at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"),
            actor_id,
            actor_repr,
            action,
            object_type,
            object_id,
            object_repr,
            before,
            after,
            prev_hash,
        ],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _actor_fields(actor: Any) -> tuple[int | None, str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, "system"
    return actor.pk, actor.get_username()


@transaction.atomic
def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    object_repr: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit row. `action` is a dotted verb such as "transfer.accept"."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
        object_repr = str(obj) if object_repr is None else object_repr
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    seq = head.last_seq + 1
    at = timezone.now()
    actor_id, actor_repr = _actor_fields(actor)
    fields = {
        "seq": seq,
        "at": at,
        "actor_id": actor_id,
        "actor_repr": actor_repr,
        "action": action,
        "object_type": object_type or "",
        "object_id": str(object_id if object_id is not None else ""),
        "object_repr": (object_repr or "")[:300],
        "before": _jsonable(before),
        "after": _jsonable(after),
        "prev_hash": head.last_hash,
    }
    digest = _content_hash(**fields)
    event = AuditEvent.objects.create(hash=digest, **fields)
    head.last_seq = seq
    head.last_hash = digest
    head.save(update_fields=["last_seq", "last_hash"])
    return event


@dataclass(frozen=True)
class AuditProblem:
    seq: int
    kind: str  # altered | inserted | deleted | broken_link | truncated
    detail: str


def audit_verify(batch: int = 5000) -> list[AuditProblem]:
    """Walk the chain in order and report every row that does not fit it."""
    return audit_verify_snapshot(batch)[0]


def audit_verify_snapshot(batch: int = 5000) -> tuple[list[AuditProblem], int]:
    """The problems of the chain and its number of rows, read in one snapshot.

    The rows and the head must come from the same moment: read in two snapshots while
    the application writes, the head is ahead of the rows and every run reported the
    newest rows as "deleted" (issue 16). On PostgreSQL the walk is one REPEATABLE READ,
    READ ONLY transaction (it sees no commit made after its first query and blocks no
    writer); on SQLite a read transaction sees one state of the file."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        problems = _walk_chain(batch)
        total = AuditEvent.objects.count()
    return problems, total


def _walk_chain(batch: int) -> list[AuditProblem]:
    problems: list[AuditProblem] = []
    expected_prev = GENESIS
    expected_seq = 1
    last_seq = 0
    qs = AuditEvent.objects.order_by("seq")
    for event in qs.iterator(chunk_size=batch):
        if event.seq != expected_seq:
            if event.seq > expected_seq:
                problems.append(
                    AuditProblem(
                        expected_seq,
                        "deleted",
                        f"rows {expected_seq}..{event.seq - 1} are missing",
                    )
                )
            else:
                problems.append(AuditProblem(event.seq, "inserted", "sequence goes backwards"))
        recomputed = _content_hash(
            seq=event.seq,
            at=event.at,
            actor_id=event.actor_id,
            actor_repr=event.actor_repr,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            object_repr=event.object_repr,
            before=event.before,
            after=event.after,
            prev_hash=event.prev_hash,
        )
        if recomputed != event.hash:
            problems.append(AuditProblem(event.seq, "altered", "content does not match its hash"))
        if event.prev_hash != expected_prev:
            problems.append(
                AuditProblem(
                    event.seq,
                    "inserted" if event.seq == expected_seq else "broken_link",
                    "previous-hash link does not match the row before it",
                )
            )
        expected_prev = event.hash
        expected_seq = event.seq + 1
        last_seq = event.seq
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.last_seq != last_seq or head.last_hash != expected_prev):
        if head.last_seq > last_seq:
            problems.append(
                AuditProblem(
                    last_seq + 1,
                    "deleted",
                    f"rows {last_seq + 1}..{head.last_seq} at the end of the chain are missing",
                )
            )
        else:
            problems.append(
                AuditProblem(last_seq, "truncated", "chain tip does not match the recorded head")
            )
    return problems
