from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObligationsConfig(AppConfig):
    name = "envgrid.obligations"
    label = "obligations"
    verbose_name = _("待办与时限")

    def ready(self) -> None:
        from envgrid.core.calendar import calendar_changed

        from .registry import register_workflow_kind

        calendar_changed.connect(
            _recompute_on_calendar_change, dispatch_uid="obligations-recompute"
        )

        # A supervision notice's response obligation is discharged by responding to it.
        register_workflow_kind(
            "supervision.respond", instead=_("请在督办通知页面回复督办"), app=self.label
        )


def _recompute_on_calendar_change(
    sender: object, *, years: list[int], actor: object, **kw: object
) -> None:
    from .services import obligations_recompute_for_calendar

    obligations_recompute_for_calendar(years=years, actor=actor)
