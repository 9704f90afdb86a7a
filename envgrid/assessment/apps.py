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
