"""The policy object for a model, for code that handles objects of other apps generically
(meetings' links to cases, actions, reports …) without importing those apps.

Every app keeps one policy object per model in `<app>/policies.py` (STYLE). `core.apps`
imports all of them at start-up (`autodiscover_modules("policies")`, like `workflow.py`),
so asking here never imports an app: a caller in a lower layer cannot load a higher one.
"""

from __future__ import annotations

import sys

from django.apps import apps
from django.db import models

from .policies import Policy


def policy_for(model: type[models.Model]) -> Policy | None:
    """The policy whose `model` is `model`, from its app's policies module; None when the
    app has no policies module or no policy for that model."""
    config = apps.get_app_config(model._meta.app_label)
    module = sys.modules.get(f"{config.name}.policies")
    if module is None:
        return None
    for value in vars(module).values():
        if isinstance(value, Policy) and getattr(value, "model", None) is model:
            return value
    return None
