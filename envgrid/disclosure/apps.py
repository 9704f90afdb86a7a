from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisclosureConfig(AppConfig):
    name = "envgrid.disclosure"
    label = "disclosure"
    verbose_name = _("信息公开")

    def ready(self) -> None:
        from envgrid.obligations.registry import register_escalation_resolver

        from . import hooks

        register_escalation_resolver(hooks.petition_escalation)
        # I4: a petition's acknowledgement, handling and rerouting are done on the petition.
        from envgrid.obligations.registry import register_workflow_kind

        register_workflow_kind("petition", instead=_("请在信访件页面办理"), app=self.label)
        # I4 timeliness: publishing the adjustment notice, or the item, discharges these.
        register_workflow_kind(
            "adjustment.publish", instead=_("请在信息公开页面发布网格调整公告"), app=self.label
        )
        # I4: the publication deadline in a year the calendar does not know yet opens
        # provisional (暂定) instead of being dropped (obligations.registry).
        from envgrid.obligations.registry import register_provisional_kind

        register_provisional_kind("adjustment.publish")
        register_workflow_kind(
            "disclosure.refresh", instead=_("请在信息公开页面发布更新后的公开信息"), app=self.label
        )
        # Errors raised before an Open311 view (the request parser) answer as GeoReport.
        from envgrid.core.error_views import register_error_format

        from .open311 import framework_error

        register_error_format("/open311/", framework_error)
        register_error_format("/disclosure/open311/", framework_error)
        from envgrid.grids.hooks import register_major_adjustment_listener

        register_major_adjustment_listener(hooks.on_major_adjustment)
