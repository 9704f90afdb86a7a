"""Every policy takes its scope prelude from core (issue 19 part 4): an administrator sees
all and a login that is no person sees nothing in one place, not in each app."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

from envgrid.core.policies import ChildPolicy, Policy, ScopedPolicy

APPS = sorted(
    p.parent.name
    for p in Path(__file__).resolve().parents[2].glob("*/policies.py")
    if p.parent.name != "core"
)


def test_every_policy_class_uses_the_shared_prelude_or_its_parent() -> None:
    found, own_scope = [], []
    for app in APPS:
        module = importlib.import_module(f"envgrid.{app}.policies")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or not issubclass(cls, Policy):
                continue
            found.append(f"{app}.{name}")
            if not issubclass(cls, ScopedPolicy | ChildPolicy) or "scope" in vars(cls):
                own_scope.append(f"{app}.{name}")
    assert len(found) > 30
    assert own_scope == []
