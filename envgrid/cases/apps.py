from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "envgrid.cases"
    label = "cases"
    verbose_name = _("案件移送")

    def ready(self) -> None:
        from envgrid.obligations.registry import register_overdue_handler

        from .services import mark_overdue

        # The sweep marks transfer obligations overdue in bulk; flag their cases and
        # transfers so the list's "overdue" filter stays an indexed column.
        register_overdue_handler("transfer.", mark_overdue)
