"""Registry for the synthetic demo: each app adds a step; `envgrid demo` runs them in order.

A step is `def build(ctx: DemoContext) -> None` registered with `@demo_step(order)`.
Steps share `ctx` (a seeded RNG and named objects), so later apps can build on what
earlier ones made: ctx.units["生态环境局"], ctx.users["office"], ...
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DemoStep = Callable[["DemoContext"], None]
_steps: list[tuple[int, str, DemoStep]] = []


@dataclass
class DemoContext:
    seed: int = 20260101
    rng: random.Random = field(default_factory=lambda: random.Random(20260101))
    units: dict[str, Any] = field(default_factory=dict)
    persons: dict[str, Any] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)
    log: Callable[[str], None] = print


def demo_step(order: int) -> Callable[[DemoStep], DemoStep]:
    def register(fn: DemoStep) -> DemoStep:
        _steps.append((order, f"{fn.__module__}.{fn.__name__}", fn))
        return fn

    return register


def demo_steps() -> list[tuple[int, str, DemoStep]]:
    from importlib import import_module

    from django.apps import apps

    for config in apps.get_app_configs():
        if config.name.startswith("envgrid."):
            try:
                import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
    return sorted(_steps, key=lambda s: (s[0], s[1]))
