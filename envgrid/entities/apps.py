from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EntitiesConfig(AppConfig):
    name = "envgrid.entities"
    label = "entities"
    verbose_name = _("监管对象")

    def ready(self) -> None:
        from envgrid.grids.hooks import register_boundary_listener, register_grid_entities

        from .selectors import entities_of_grid
        from .services import on_boundaries_changed

        register_boundary_listener(on_boundaries_changed)
        register_grid_entities(entities_of_grid)
