"""A transfer that fails at its last step (issue 12, item 7): the transfer, its evidence
copies, the case's new status, the obligations opened and closed, the notices and the
audit rows written before the failure are all rolled back together."""

from __future__ import annotations

from unittest import mock

import pytest

from envgrid.cases import services as S
from envgrid.cases.models import Case, Transfer, TransferEvidence
from envgrid.core.models import AuditEvent, Notification
from envgrid.obligations.models import Obligation

from .conftest import complete_case

pytestmark = pytest.mark.django_db


def state(case: Case) -> tuple:
    case.refresh_from_db()
    return (
        case.status,
        Transfer.objects.count(),
        TransferEvidence.objects.count(),
        list(Obligation.objects.order_by("pk").values_list("pk", "status")),
        Notification.objects.count(),
        AuditEvent.objects.count(),
    )


def test_T3_transfer_failing_after_its_writes_leaves_nothing_half_written(tree):
    case = complete_case(tree.ca_staff, point=tree.p_cc)
    before = state(case)
    with (
        mock.patch(
            "envgrid.cases.services.transfers.overdue_refresh", side_effect=RuntimeError("injected")
        ),
        pytest.raises(RuntimeError),
    ):
        S.transfer_create(
            actor=tree.ca_staff.user,
            case=case,
            transfer_type="jurisdiction",
            receiver_unit=tree.cc,
        )
    assert state(case) == before
    # The same transfer goes through once the fault is gone: nothing was left to collide.
    transfer = S.transfer_create(
        actor=tree.ca_staff.user, case=case, transfer_type="jurisdiction", receiver_unit=tree.cc
    )
    assert Transfer.objects.get() == transfer and TransferEvidence.objects.count() >= 1
