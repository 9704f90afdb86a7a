from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "envgrid.assessment"
    label = "assessment"
    verbose_name = _("考核")

    def ready(self) -> None:
        from envgrid.obligations.registry import register_workflow_kind

        from .indicators import register_builtin_metrics
        from .sources import register_sources

        register_builtin_metrics()
        register_sources()
        # A1-A3: self-evaluations and objections are discharged by submitting / answering.
        register_workflow_kind(
            "assessment.self_evaluation", instead=_("请在考核页面提交自评"), app=self.label
        )
        register_workflow_kind(
            "assessment.objection", instead=_("请在考核页面答复异议"), app=self.label
        )
        # Issue 15 part 5: entering the official calendar year recomputes objection deadlines.
        from envgrid.core.calendar import calendar_changed

        calendar_changed.connect(_recompute_objections, dispatch_uid="assessment-objections")


def _recompute_objections(sender: object, *, years: list[int], actor: object, **kw: object) -> None:
    from .services import objection_deadlines_recompute

    objection_deadlines_recompute(years=years, actor=actor)
