"""Staff UI forms: shape only (400 on bad shape); the rules live in services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from envgrid.core import limits
from envgrid.core.widgets import SearchSelectMultiple
from envgrid.entities.models import SupervisedEntity
from envgrid.grids.models import Grid
from envgrid.org.models import LeadingGroup, Person, Unit
from envgrid.org.policies import unit_policy
from envgrid.org.selectors import actor_for

from .models import (
    ActionOfficer,
    EnforcementAction,
)
from .services import ACTION_EDITABLE_FIELDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def reachable_grids(user: Any) -> QuerySet:
    """Grids a user can plan against: the subtrees of the grids the unit owns and of the
    grids of the leading groups it belongs to or oversees."""
    actor = actor_for(user)
    if actor.is_admin:
        return Grid.objects.filter(is_active=True)
    if actor.unit_id is None:
        return Grid.objects.none()
    groups = set(
        LeadingGroup.objects.filter(member_units=actor.unit_id).values_list("id", flat=True)
    ) | set(actor.overseen_group_ids)
    roots = Grid.objects.filter(
        Q(owner_unit_id=actor.unit_id) | Q(leading_group_id__in=groups), is_active=True
    ).values_list("path", flat=True)
    cond = Q(pk__in=[])
    for path in set(roots):
        cond |= Q(path__startswith=path)
    return Grid.objects.filter(cond, is_active=True)


SECTIONS: list[tuple[Any, str, tuple[str, ...]]] = [
    (None, "", ("title", "category", "mode", "organiser_grid", "leading_group")),
    (
        _("专项行动：部署层级与部署文件"),
        "cat cat-campaign",
        ("campaign_level", "campaign_doc_ref", "campaign_doc_title"),
    ),
    (
        _("突发环境事件：时间、地点、类型、级别"),
        "cat cat-incident",
        ("incident_at", "incident_place", "incident_type", "incident_level"),
    ),
    (_("行刑衔接案件"), "cat cat-linkage", ("linkage_ref",)),
    (
        _("行动方案"),
        "",
        ("objectives", "start_date", "end_date", "schedule", "requirements"),
    ),
    (
        _("行动对象与参与单位"),
        "",
        ("target_entities", "key_entities", "target_grids", "partner_units"),
    ),
]


class SectionsMixin:
    def sections(self) -> list[tuple[Any, str, list[Any]]]:
        out = []
        for legend, css, names in SECTIONS:
            bound = [self[n] for n in names if n in self.fields]  # type: ignore[attr-defined,index]
            if bound:
                out.append((legend, css, bound))
        return out


class ActionForm(SectionsMixin, forms.ModelForm):
    target_entities = forms.ModelMultipleChoiceField(
        label=_("行动对象（监管对象）"),
        queryset=SupervisedEntity.objects.none(),
        required=False,
        widget=SearchSelectMultiple("entities"),
    )
    target_grids = forms.ModelMultipleChoiceField(
        label=_("行动对象（区域/网格）"),
        queryset=Grid.objects.none(),
        required=False,
        widget=SearchSelectMultiple("grids"),
    )
    key_entities = forms.ModelMultipleChoiceField(
        label=_("其中重点督办对象"),
        queryset=SupervisedEntity.objects.none(),
        required=False,
        widget=SearchSelectMultiple("entities"),
    )
    partner_units = forms.ModelMultipleChoiceField(
        label=_("协作单位"),
        queryset=Unit.objects.none(),
        required=False,
        widget=SearchSelectMultiple("units"),
        help_text=_("行动对象所在下级网格的网格主体自动列为参与单位。"),
    )

    class Meta:
        model = EnforcementAction
        fields = [
            "title",
            "category",
            "mode",
            "organiser_grid",
            "leading_group",
            *ACTION_EDITABLE_FIELDS[1:],
        ]
        widgets = {
            "start_date": DATE,
            "end_date": DATE,
            "incident_at": DATETIME,
            "objectives": forms.Textarea(attrs={"rows": 3}),
            "schedule": forms.Textarea(attrs={"rows": 3}),
            "requirements": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        actor = actor_for(user)
        grids = reachable_grids(user)
        own = Grid.objects.filter(is_active=True)
        if not actor.is_admin:
            own = own.filter(owner_unit_id=actor.unit_id)
        self.fields["organiser_grid"].queryset = own  # type: ignore[attr-defined]
        self.fields["organiser_grid"].required = False
        self.fields["leading_group"].queryset = LeadingGroup.objects.filter(  # type: ignore[attr-defined]
            Q(member_units=actor.unit_id) | Q(pk__in=actor.overseen_group_ids)
        ).distinct()
        self.fields["leading_group"].required = False
        entities = SupervisedEntity.objects.filter(grid__in=grids).select_related("grid")
        self.fields["target_entities"].queryset = entities  # type: ignore[attr-defined]
        self.fields["key_entities"].queryset = entities  # type: ignore[attr-defined]
        self.fields["target_grids"].queryset = grids  # type: ignore[attr-defined]
        self.fields["partner_units"].queryset = unit_policy.scope(user).exclude(  # type: ignore[attr-defined]
            pk=actor.unit_id
        )
        self.fields["incident_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]  # type: ignore[attr-defined]
        for name in ("category", "mode"):
            self.fields[name].widget.attrs["data-toggle"] = name


class ActionEditForm(SectionsMixin, forms.ModelForm):
    class Meta:
        model = EnforcementAction
        fields = list(ACTION_EDITABLE_FIELDS)
        widgets = ActionForm.Meta.widgets


class CompleteForm(forms.Form):
    summary = forms.CharField(
        label=_("行动总结"), widget=forms.Textarea(attrs={"rows": 4}), max_length=limits.LONG
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=500)


class InspectionForm(forms.Form):
    entity = forms.ModelChoiceField(label=_("检查对象"), queryset=SupervisedEntity.objects.none())
    inspected_at = forms.DateTimeField(
        label=_("检查时间"), widget=DATETIME, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )
    place = forms.CharField(label=_("检查地点"), required=False, max_length=300)
    officers = forms.ModelMultipleChoiceField(
        label=_("检查人员（至少2名持证执法人员）"),
        queryset=ActionOfficer.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    summary = forms.CharField(
        label=_("检查情况"), widget=forms.Textarea(attrs={"rows": 3}), max_length=limits.LONG
    )
    finding_title = forms.CharField(label=_("发现问题（可选）"), required=False, max_length=200)
    finding_description = forms.CharField(
        label=_("违法事实"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=limits.LONG,
    )
    finding_responsible = forms.CharField(label=_("违法责任人"), required=False, max_length=100)
    finding_suspected_crime = forms.BooleanField(label=_("涉嫌犯罪"), required=False)
    finding_is_key = forms.BooleanField(label=_("重点案件（督办）"), required=False)

    def __init__(self, *args: Any, action: EnforcementAction, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        entity_ids = set(
            action.targets.filter(entity__isnull=False).values_list("entity_id", flat=True)
        )
        cond = Q(pk__in=entity_ids)
        for path in action.targets.filter(entity__isnull=True).values_list("grid__path", flat=True):
            cond |= Q(grid__path__startswith=path)
        self.fields["entity"].queryset = SupervisedEntity.objects.filter(cond)  # type: ignore[attr-defined]
        self.fields["officers"].queryset = action.officers.select_related(  # type: ignore[attr-defined]
            "person", "participant__unit"
        )
        self.fields["officers"].label_from_instance = lambda o: (  # type: ignore[attr-defined]
            f"{o.person.name}（{o.participant.unit.short_name or o.participant.unit.name}，"
            f"证号{o.cert_number}）"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("finding_title")) != bool(data.get("finding_description")):
            raise forms.ValidationError(_("发现问题须同时填写问题和违法事实。"))
        return data


class FindingForm(forms.Form):
    title = forms.CharField(label=_("问题"), max_length=200)
    description = forms.CharField(
        label=_("违法事实"), widget=forms.Textarea(attrs={"rows": 3}), max_length=limits.LONG
    )
    responsible_person = forms.CharField(label=_("违法责任人"), required=False, max_length=100)
    suspected_crime = forms.BooleanField(label=_("涉嫌犯罪"), required=False)
    is_key = forms.BooleanField(label=_("重点案件"), required=False)


def persons_of(unit_id: int) -> QuerySet:
    return Person.objects.filter(unit_id=unit_id, is_active=True).order_by("name")
