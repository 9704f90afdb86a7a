from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObligationsConfig(AppConfig):
    name = "envgrid.obligations"
    label = "obligations"
    verbose_name = _("待办与时限")

    def ready(self) -> None:
        from .registry import register_workflow_kind

        # A supervision notice's response obligation is discharged by responding to it.
        register_workflow_kind(
            "supervision.respond", instead=_("请在督办通知页面回复督办"), app=self.label
        )
