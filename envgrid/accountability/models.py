"""Accountability (追究责任, SPEC T6): what a late item caused, and what the leading group
decided about the units and persons responsible.

From an item in the overdue register the office records the consequences (后果认定:
none / ordinary / serious, with facts and evidence). Serious ones go into an
accountability proposal (问责建议) naming the units and persons responsible, with the
facts and the items and their delays copied from the records; the leading group decides
(no action, criticism in writing, 约谈, or referral to discipline inspection — the last
registers a case flagged for the discipline route and the office transfers it). Every
step carries a document number (文号) and an audit row; nothing is deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from envgrid.core import limits
from envgrid.core.models import TimeStampedModel
from envgrid.core.workflow import StatusHistory


class ConsequenceLevel(models.TextChoices):
    NONE = "none", _("未造成后果")
    ORDINARY = "ordinary", _("一般后果")
    SERIOUS = "serious", _("严重后果")


class ConsequenceFinding(TimeStampedModel):
    """后果认定: one per overdue item (obligation), recorded by the office."""

    number = models.CharField(_("认定文号"), max_length=60, unique=True)
    obligation = models.OneToOneField(
        "obligations.Obligation",
        verbose_name=_("逾期事项"),
        on_delete=models.PROTECT,
        related_name="consequence",
    )
    leading_group = models.ForeignKey(
        "org.LeadingGroup", verbose_name=_("领导小组"), on_delete=models.PROTECT, related_name="+"
    )
    # Copied from the obligation when recorded, so the finding stands as it was made.
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField(_("后果"), max_length=10, choices=ConsequenceLevel.choices)
    facts = models.TextField(_("事实"), max_length=limits.LONG)
    evidence = models.TextField(_("证据"), max_length=limits.LONG, blank=True)
    delay_days = models.PositiveIntegerField(_("逾期天数"), default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("认定人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("认定时间"), default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("后果认定")
        verbose_name_plural = _("后果认定")
        constraints = [
            models.CheckConstraint(
                condition=Q(level="none") | ~Q(evidence=""), name="acc_finding_has_evidence"
            )
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("accountability:finding_detail", args=[self.pk])


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", _("待领导小组决定")
    DECIDED = "decided", _("已决定")
    REFERRED = "referred", _("已移送纪检监察机关")
    WITHDRAWN = "withdrawn", _("已撤回")


class AccountabilityDecision(models.TextChoices):
    NO_ACTION = "no_action", _("不予追究")
    CRITICISM = "criticism", _("书面批评")
    INTERVIEW = "interview", _("约谈")
    REFERRAL = "referral", _("移送纪检监察机关")


class AccountabilityProposal(TimeStampedModel):
    """问责建议: the office's proposal to the leading group, and the group's decision."""

    number = models.CharField(_("建议文号"), max_length=60, unique=True)
    leading_group = models.ForeignKey(
        "org.LeadingGroup",
        verbose_name=_("领导小组"),
        on_delete=models.PROTECT,
        related_name="accountability_proposals",
    )
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=ProposalStatus.choices,
        default=ProposalStatus.PROPOSED,
        db_index=True,
    )
    findings = models.ManyToManyField(
        ConsequenceFinding, verbose_name=_("后果认定"), related_name="proposals"
    )
    units = models.ManyToManyField(
        "org.Unit", verbose_name=_("责任单位"), related_name="accountability_proposals"
    )
    persons = models.ManyToManyField(
        "org.Person", verbose_name=_("责任人员"), related_name="accountability_proposals"
    )
    facts = models.TextField(_("事实"), max_length=limits.LONG)
    # The items and their delays as the records showed them when the proposal was made.
    items = models.JSONField(_("逾期事项"), default=list)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(_("提出时间"), default=timezone.now)

    decision = models.CharField(
        _("决定"), max_length=10, choices=AccountabilityDecision.choices, blank=True
    )
    decision_number = models.CharField(_("决定文号"), max_length=60, blank=True)
    decision_reason = models.TextField(_("决定理由"), max_length=limits.LONG, blank=True)
    decided_by = models.ForeignKey(
        "org.Person",
        verbose_name=_("决定人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    referral_case = models.OneToOneField(
        "cases.Case",
        verbose_name=_("移送案件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accountability_proposal",
    )
    referral_transfer = models.OneToOneField(
        "cases.Transfer",
        verbose_name=_("移送登记"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accountability_proposal",
    )
    withdraw_reason = models.CharField(_("撤回原因"), max_length=500, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("问责建议")
        verbose_name_plural = _("问责建议")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="proposed")
                | Q(status="withdrawn")
                | (~Q(decision="") & Q(decided_at__isnull=False)),
                name="acc_decided_has_decision",
            ),
            models.CheckConstraint(
                condition=~Q(status="referred") | Q(referral_transfer__isnull=False),
                name="acc_referred_has_transfer",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("accountability:proposal_detail", args=[self.pk])


class ProposalEvent(StatusHistory):
    """Append-only history of a proposal (STYLE rule 4), written by the workflow kernel."""

    proposal = models.ForeignKey(
        AccountabilityProposal, on_delete=models.PROTECT, related_name="events"
    )

    class Meta(StatusHistory.Meta):
        verbose_name = _("问责建议办理记录")
        verbose_name_plural = _("问责建议办理记录")

    def __str__(self) -> str:
        return f"{self.proposal_id} {self.action}"
