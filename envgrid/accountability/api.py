"""REST API of accountability (T6): findings and proposals, scoped by the caller; the
office records and proposes, the leading group decides, the office refers."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from envgrid.core.api import ScopedQuerysetMixin
from envgrid.core.errors import NotFoundError
from envgrid.core.serializer_fields import StrictCharField, StrictIntegerField
from envgrid.obligations.policies import obligation_policy
from envgrid.org.policies import person_policy, unit_policy

from . import services
from .models import (
    AccountabilityDecision,
    AccountabilityProposal,
    ConsequenceFinding,
    ConsequenceLevel,
)
from .policies import finding_policy, proposal_policy
from .workflow import proposal_actions_available


class FindingSerializer(serializers.ModelSerializer):
    obligation_title = serializers.CharField(source="obligation.title", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = ConsequenceFinding
        fields = [
            "id",
            "number",
            "obligation",
            "obligation_title",
            "leading_group",
            "unit",
            "unit_name",
            "level",
            "facts",
            "evidence",
            "delay_days",
            "recorded_at",
        ]
        read_only_fields = fields


class FindingCreateSerializer(serializers.Serializer):
    obligation = StrictIntegerField(min_value=1, max_value=2**63 - 1)
    level = serializers.ChoiceField(choices=ConsequenceLevel.choices)
    facts = StrictCharField(max_length=5000)
    evidence = StrictCharField(max_length=5000, required=False, allow_blank=True)


class ProposalSerializer(serializers.ModelSerializer):
    units: Any = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    persons: Any = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    findings: Any = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    referral_transfer_number = serializers.CharField(
        source="referral_transfer.number", default=None, read_only=True
    )
    # The steps the caller may take now: the kernel's table filtered by policy.
    actions = serializers.SerializerMethodField()

    def get_actions(self, obj: AccountabilityProposal) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return sorted(proposal_actions_available(obj, request.user))

    class Meta:
        model = AccountabilityProposal
        fields = [
            "id",
            "number",
            "leading_group",
            "status",
            "findings",
            "units",
            "persons",
            "facts",
            "items",
            "proposed_at",
            "decision",
            "decision_number",
            "decision_reason",
            "decided_by",
            "decided_at",
            "referral_case",
            "referral_transfer",
            "referral_transfer_number",
            "withdraw_reason",
            "actions",
        ]
        read_only_fields = fields


def _id() -> serializers.IntegerField:
    return StrictIntegerField(min_value=1, max_value=2**63 - 1)


class ProposalCreateSerializer(serializers.Serializer):
    findings = serializers.ListField(child=_id(), min_length=1, max_length=200)
    facts = StrictCharField(max_length=10000)
    units = serializers.ListField(child=_id(), required=False, max_length=200)
    persons = serializers.ListField(child=_id(), required=False, max_length=200)


class DecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=AccountabilityDecision.choices)
    reason = StrictCharField(max_length=5000)


class ReferSerializer(serializers.Serializer):
    receiver_unit = _id()


class WithdrawSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=500)


def _visible(policy: Any, user: Any, ids: list[int], what: str) -> list[Any]:
    """Objects by id through the caller's scope: any unseen id is a 404 for the lot."""
    found = list(policy.scope(user).filter(pk__in=set(ids)))
    if len(found) != len(set(ids)):
        raise NotFoundError(f"{what} 未找到")
    return found


class FindingViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """后果认定 (T6): the office records, from an overdue item, what its delay caused."""

    policy = finding_policy
    queryset = ConsequenceFinding.objects.select_related("obligation", "unit")
    serializer_class = FindingSerializer

    def get_serializer_class(self) -> Any:
        return FindingCreateSerializer if self.action == "create" else FindingSerializer

    @extend_schema(request=FindingCreateSerializer, responses={201: FindingSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        s = FindingCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        ob = obligation_policy.get_visible(request.user, data.pop("obligation"))
        finding = services.finding_record(actor=request.user, obligation=ob, **data)
        return Response(FindingSerializer(finding).data, status=status.HTTP_201_CREATED)


class ProposalViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """问责建议 (T6): proposed by the office, decided by the leading group."""

    policy = proposal_policy
    queryset = AccountabilityProposal.objects.select_related("referral_transfer").prefetch_related(
        "units", "persons", "findings"
    )
    serializer_class = ProposalSerializer

    def get_serializer_class(self) -> Any:
        return ProposalCreateSerializer if self.action == "create" else ProposalSerializer

    def _out(self, proposal: AccountabilityProposal, code: int = 200) -> Response:
        out = ProposalSerializer(
            self.get_queryset().get(pk=proposal.pk), context=self.get_serializer_context()
        )
        return Response(out.data, code)

    @extend_schema(request=ProposalCreateSerializer, responses={201: ProposalSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        s = ProposalCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        user = request.user
        proposal = services.proposal_open(
            actor=user,
            findings=_visible(finding_policy, user, d["findings"], "后果认定"),
            facts=d["facts"],
            units=_visible(unit_policy, user, d.get("units") or [], "单位") or None,
            persons=_visible(person_policy, user, d.get("persons") or [], "人员") or None,
        )
        return self._out(proposal, status.HTTP_201_CREATED)

    @extend_schema(request=DecideSerializer, responses=ProposalSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: Any = None) -> Response:
        """The leading group's decision (leader or deputy): no action, criticism in
        writing, 约谈, or referral to discipline inspection."""
        proposal = self.get_object()
        s = DecideSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return self._out(
            services.proposal_decide(actor=request.user, proposal=proposal, **s.validated_data)
        )

    @extend_schema(request=ReferSerializer, responses=ProposalSerializer)
    @action(detail=True, methods=["post"])
    def refer(self, request: Request, pk: Any = None) -> Response:
        """The office transfers a decided referral on the discipline route (T2(c))."""
        proposal = self.get_object()
        s = ReferSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        receiver = unit_policy.get_visible(request.user, s.validated_data["receiver_unit"])
        services.proposal_refer(actor=request.user, proposal=proposal, receiver_unit=receiver)
        return self._out(proposal)

    @extend_schema(request=WithdrawSerializer, responses=ProposalSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: Any = None) -> Response:
        proposal = self.get_object()
        s = WithdrawSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return self._out(
            services.proposal_withdraw(actor=request.user, proposal=proposal, **s.validated_data)
        )
