from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "envgrid.core"
    label = "core"
    verbose_name = _("基础")

    def ready(self) -> None:
        # Exports and documents never carry a live formula or a control character
        # (issue 16, part 2; envgrid.core.textsafe).
        from .textsafe import install_export_guards

        install_export_guards()
