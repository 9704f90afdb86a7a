from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "envgrid.core"
    label = "core"
    verbose_name = _("基础")

    def ready(self) -> None:
        # Every app declares its transition tables in its own workflow.py; import them all
        # so the kernel knows each table before the first request (core names no app).
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("workflow")
        # And every policies.py, so core.policy_registry answers without importing an app.
        autodiscover_modules("policies")
        # And every rules.py: each app declares its configurable rules there
        # (envgrid.core.rules). A saved or deleted override clears this process's cache.
        autodiscover_modules("rules")
        from django.core.signals import setting_changed
        from django.db.models.signals import post_delete, post_save

        from . import rules
        from .models import RuleOverride

        post_save.connect(rules.overrides_changed, sender=RuleOverride, dispatch_uid="rules.save")
        post_delete.connect(
            rules.overrides_changed, sender=RuleOverride, dispatch_uid="rules.delete"
        )
        setting_changed.connect(rules.clear_cache, dispatch_uid="rules.settings")

        # Exports and documents never carry a live formula or a control character
        # (issue 16, part 2; envgrid.core.textsafe).
        from .textsafe import install_export_guards

        install_export_guards()

        # Strict types for every ModelSerializer: no number stored as text, no "١٢" as
        # an integer (issue 16, part 3; envgrid.core.serializer_fields).
        from .serializer_fields import install_strict_fields

        install_strict_fields()
