"""Configurable rules: one registry, one way to read a number (issue 19, part 2).

Every number, format or switch a rule of the district depends on is declared once, in its
app's ``rules.py``, as a :class:`Rule` — key, default, type and range, unit, SPEC ID,
description in Chinese and English, whether an administrator may change it — and read
with ``rules.get("enforcement.min_certified_officers")``. The value is, first found:

1. a database override (``core.RuleOverride``, edited by administrators in the audited
   admin), only for rules declared ``admin_override=True``;
2. settings (which ``config/settings.py`` fills from the environment where it says so):
   ``ENVGRID_RULES = {"<key>": value}``, or the rule's own historical setting —
   a flat name (``ENVGRID_TOKEN_HOURS``) or a key in a settings dict
   (``ENVGRID_ENFORCEMENT = {"APPROVAL_MIN_CERTIFIED_OFFICERS": 3}``), so deployments
   and tests that set those names keep working;
3. the declared default.

Every value, from any source, passes the rule's validator: a database override outside the
range is refused when saved (the admin form says why), and one that went bad later (the
range narrowed) is ignored with a log line rather than used. Settings are read live (cheap);
database overrides are loaded in one query and kept per process for ``CACHE_SECONDS``,
cleared at once in the process that saves or deletes one (signals in ``core.apps``).

Security settings (trusted proxies, token lifetime, login limits, upload and parse limits)
are registered with ``admin_override=False``: they are read from settings/environment only,
so a database row can never widen them. ``docs/rules-config.md`` is generated from this
registry (``scripts/rules_config.py --write``; ``core/tests/test_rules_registry.py``
checks it is current). See docs/decisions/0012-rule-registry.md.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

log = logging.getLogger(__name__)

CACHE_SECONDS = 30.0

# Value types a rule may have; each names how a value is checked and coerced.
INT = "int"
FLOAT = "float"
BOOL = "bool"
STR = "str"
DEADLINE = "deadline"  # [kind, amount]: "workdays" | "days" | "hours", amount >= 0
STR_LIST = "str_list"
DICT = "dict"  # str -> int
TYPES = (INT, FLOAT, BOOL, STR, DEADLINE, STR_LIST, DICT)

_DEADLINE_KINDS = ("workdays", "days", "hours")


@dataclass(frozen=True)
class Rule:
    """One configurable rule. `setting` is its historical settings name: a flat name
    ("ENVGRID_TOKEN_HOURS") or "DICT_NAME.KEY" ("ENVGRID_ENFORCEMENT.ACK_RULE")."""

    key: str
    default: Any
    type: str
    description_zh: str
    description_en: str
    unit: str = ""
    spec: str = ""
    min: float | None = None
    max: float | None = None
    setting: str = ""
    admin_override: bool = True
    validator: Callable[[Any], None] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"rule {self.key}: unknown type {self.type!r}")
        if "." not in self.key or self.key != self.key.lower():
            raise ValueError(f"rule {self.key}: keys are lower-case '<app>.<name>'")
        self.clean(self.default)  # a default outside its own range is a bug

    # ---------------------------------------------------------------- validation

    def clean(self, value: Any) -> Any:
        """The value coerced to the rule's type, or ValidationError saying why not."""
        try:
            out = self._coerce(value)
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                f"{self.key}: {value!r} is not a valid {self.type} ({exc})", code="rule_type"
            ) from exc
        for number in self._numbers(out):
            if self.min is not None and number < self.min:
                raise ValidationError(
                    f"{self.key}: {number} is below the minimum {_num(self.min)}"
                    + (f" {self.unit}" if self.unit else ""),
                    code="rule_range",
                )
            if self.max is not None and number > self.max:
                raise ValidationError(
                    f"{self.key}: {number} is above the maximum {_num(self.max)}"
                    + (f" {self.unit}" if self.unit else ""),
                    code="rule_range",
                )
        if self.validator is not None:
            self.validator(out)
        return out

    def _coerce(self, value: Any) -> Any:
        t = self.type
        if t == INT:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError("a whole number is needed")
            return int(value)
        if t == FLOAT:
            if isinstance(value, bool):
                raise ValueError("a number is needed")
            return float(value)
        if t == BOOL:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
                return True
            if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off"):
                return False
            if isinstance(value, int) and value in (0, 1):
                return bool(value)
            raise ValueError("true or false is needed")
        if t == STR:
            if isinstance(value, int) and not isinstance(value, bool):
                return str(value)  # ENVGRID_TRUSTED_PROXIES = 1
            if not isinstance(value, str):
                raise ValueError("text is needed")
            return value
        if t == DEADLINE:
            kind, amount = value
            kind = str(getattr(kind, "value", kind))
            if kind not in _DEADLINE_KINDS:
                raise ValueError(f"the kind must be one of {', '.join(_DEADLINE_KINDS)}")
            if isinstance(amount, bool):
                raise ValueError("the amount must be a whole number")
            return (kind, int(amount))
        if t == STR_LIST:
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]
            items = tuple(value)
            if not all(isinstance(v, str) for v in items):
                raise ValueError("a list of texts is needed")
            return items
        # DICT: str -> int
        if not isinstance(value, dict):
            raise ValueError("a mapping is needed")
        out: dict[str, int] = {}
        for k, v in value.items():
            if isinstance(v, bool):
                raise ValueError(f"{k}: a whole number is needed")
            out[str(k)] = int(v)
        return out

    def _numbers(self, value: Any) -> Iterable[float]:
        if self.type in (INT, FLOAT):
            return [value]
        if self.type == DEADLINE:
            return [value[1]]
        if self.type == DICT:
            return list(value.values())
        return []

    # ---------------------------------------------------------------- settings

    def from_settings(self) -> tuple[bool, Any]:
        """(found, value) from ENVGRID_RULES or the rule's historical setting."""
        bag = getattr(settings, "ENVGRID_RULES", None) or {}
        if self.key in bag:
            return True, bag[self.key]
        if not self.setting:
            return False, None
        name, _, sub = self.setting.partition(".")
        if not sub:
            if hasattr(settings, name):
                return True, getattr(settings, name)
            return False, None
        container = getattr(settings, name, None) or {}
        if sub in container:
            if self.type == DICT:
                # A partial mapping in settings overrides only the keys it names.
                return True, {**self.default, **(container[sub] or {})}
            return True, container[sub]
        return False, None


def number_format_validator(value: str) -> None:
    """A document-number format (文号) must format with {prefix}/{code}/{year}/{seq} and
    carry the serial, or two documents could get the same number."""
    try:
        sample = value.format(prefix="站环", code="ZQ", year=2026, seq=1)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValidationError(
            f"{value!r}: not a number format ({exc}); use {{prefix}} {{code}} {{year}} {{seq}}",
            code="rule_format",
        ) from exc
    if "{seq" not in value or not sample:
        raise ValidationError(f"{value!r}: the format must contain {{seq}}", code="rule_format")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


# ------------------------------------------------------------------------ registry

_REGISTRY: dict[str, Rule] = {}
_lock = threading.Lock()
_cache: dict[str, Any] | None = None
_cache_at = 0.0


def register(*rules: Rule) -> None:
    """Declare rules (each app's rules.py, at import). Declaring the same rule again (a
    module re-imported) is harmless; a different rule under a taken key is an error."""
    for r in rules:
        old = _REGISTRY.get(r.key)
        if old is not None and old != r:
            raise ValueError(f"rule {r.key} is declared twice, differently")
        _REGISTRY[r.key] = r


def registered() -> list[Rule]:
    """Every declared rule, ordered by key."""
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def rule(key: str) -> Rule:
    try:
        return _REGISTRY[key]
    except KeyError:
        raise KeyError(f"no rule {key!r} is declared (see docs/rules-config.md)") from None


def clear_cache(**_: Any) -> None:
    """Forget the database overrides this process holds (after a save or delete)."""
    global _cache
    with _lock:
        _cache = None


def overrides_changed(**_: Any) -> None:
    """A RuleOverride was saved or deleted: forget now, and again once the transaction
    commits (a read in between could have reloaded the old rows)."""
    from django.db import transaction

    clear_cache()
    transaction.on_commit(clear_cache)


def _db_overrides() -> dict[str, Any]:
    global _cache, _cache_at
    now = time.monotonic()
    cached = _cache
    if cached is not None and now - _cache_at < CACHE_SECONDS:
        return cached
    from .models import RuleOverride

    try:
        rows = dict(RuleOverride.objects.filter(active=True).values_list("key", "value"))
    except Exception:
        log.debug("rule overrides unavailable", exc_info=True)
        return {}
    with _lock:
        _cache, _cache_at = rows, now
    return rows


def source(key: str) -> str:
    """Where the current value of `key` comes from: "database", "settings" or "default"."""
    return _resolve(rule(key))[1]


def get(key: str) -> Any:
    """The value of the rule `key`: database override > settings > default."""
    return _resolve(rule(key))[0]


def _resolve(r: Rule) -> tuple[Any, str]:
    if r.admin_override:
        overrides = _db_overrides()
        if r.key in overrides:
            try:
                return r.clean(_decode(overrides[r.key])), "database"
            except ValidationError as exc:
                log.warning("ignoring the database override of %s: %s", r.key, exc.messages[0])
    found, value = r.from_settings()
    if found:
        try:
            return r.clean(value), "settings"
        except ValidationError as exc:
            raise ImproperlyConfiguredRule(exc.messages[0]) from exc
    return r.clean(r.default), "default"


class ImproperlyConfiguredRule(ValueError):
    """A settings value outside its rule's type or range: a deployment error, loud."""


def parse_db_value(key: str, text: str) -> Any:
    """A RuleOverride's JSON text checked against the rule; ValidationError if not valid."""
    r = _REGISTRY.get(key)
    if r is None:
        raise ValidationError(f"{key}: no such rule", code="rule_unknown")
    if not r.admin_override:
        raise ValidationError(
            f"{key}: this rule is set in settings or the environment only, "
            "not in the database (a security setting)",
            code="rule_not_overridable",
        )
    return r.clean(_decode(text))


def _decode(text: Any) -> Any:
    """A stored value: JSON, or plain text for text rules (站环移〔{year}〕{seq}号)."""
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def describe_value(value: Any) -> str:
    """A value as the docs table shows it."""
    if isinstance(value, tuple):
        value = list(value)
    return json.dumps(value, ensure_ascii=False)


# ------------------------------------------------------------------ core's own rules

register(
    Rule(
        key="core.trusted_proxies",
        default="",
        type=STR,
        setting="ENVGRID_TRUSTED_PROXIES",
        admin_override=False,
        description_zh="可信反向代理：代理层数或网段列表（为空则忽略 X-Forwarded-For）",
        description_en="Trusted reverse proxies: a proxy count or a list of networks "
        "(empty: X-Forwarded-For is ignored)",
    ),
    Rule(
        key="core.upload_max_bytes",
        default=20 * 1024 * 1024,
        type=INT,
        min=1,
        unit="bytes",
        setting="FILE_UPLOAD_MAX_BYTES",
        admin_override=False,
        description_zh="单个上传文件的最大字节数",
        description_en="Largest single uploaded file",
    ),
    Rule(
        key="core.upload_max_request_bytes",
        default=5 * 20 * 1024 * 1024,
        type=INT,
        min=1,
        unit="bytes",
        setting="ENVGRID_UPLOAD_MAX_REQUEST_BYTES",
        admin_override=False,
        description_zh="一次上传请求的最大字节数（未读先拒）",
        description_en="Largest upload request, refused before it is read",
    ),
    Rule(
        key="core.import_max_bytes",
        default=20 * 1024 * 1024,
        type=INT,
        min=1,
        unit="bytes",
        setting="ENVGRID_IMPORT_MAX_BYTES",
        admin_override=False,
        description_zh="导入文件的最大字节数",
        description_en="Largest import file",
    ),
    Rule(
        key="core.parse_max_memory",
        default=768 * 1024 * 1024,
        type=INT,
        min=1,
        unit="bytes",
        setting="ENVGRID_PARSE_MAX_MEMORY",
        admin_override=False,
        description_zh="解析上传表格时子进程的内存上限",
        description_en="Memory cap of the process parsing an uploaded sheet",
    ),
    Rule(
        key="core.parse_timeout",
        default=60,
        type=INT,
        min=1,
        unit="seconds",
        setting="ENVGRID_PARSE_TIMEOUT",
        admin_override=False,
        description_zh="解析上传表格的时间上限",
        description_en="Time cap of parsing an uploaded sheet",
    ),
    Rule(
        key="core.xlsx_max_rows",
        default=200000,
        type=INT,
        min=1,
        unit="rows",
        setting="ENVGRID_XLSX_MAX_ROWS",
        admin_override=False,
        description_zh="上传表格的最大行数",
        description_en="Most rows of an uploaded sheet",
    ),
    Rule(
        key="core.xlsx_max_cols",
        default=100,
        type=INT,
        min=1,
        unit="columns",
        setting="ENVGRID_XLSX_MAX_COLS",
        admin_override=False,
        description_zh="上传表格的最大列数",
        description_en="Most columns of an uploaded sheet",
    ),
    Rule(
        key="core.xlsx_max_cells",
        default=4000000,
        type=INT,
        min=1,
        unit="cells",
        setting="ENVGRID_XLSX_MAX_CELLS",
        admin_override=False,
        description_zh="上传表格的最大单元格数",
        description_en="Most cells of an uploaded sheet",
    ),
    Rule(
        key="core.xlsx_max_xml_bytes",
        default=400 * 1024 * 1024,
        type=INT,
        min=1,
        unit="bytes",
        setting="ENVGRID_XLSX_MAX_XML_BYTES",
        admin_override=False,
        description_zh="上传表格解压后 XML 的最大字节数",
        description_en="Largest unpacked XML of an uploaded sheet",
    ),
    Rule(
        key="core.upload_max_bytes_by_purpose",
        default={},
        type=DICT,
        unit="bytes",
        setting="ENVGRID_UPLOAD_MAX_BYTES_BY_PURPOSE",
        admin_override=False,
        description_zh="按用途收紧的上传大小上限（用途 → 字节数）",
        description_en="Upload size limits narrowed per purpose (purpose -> bytes)",
    ),
    Rule(
        key="core.replica_sticky_seconds",
        default=5.0,
        type=FLOAT,
        min=0,
        max=3600,
        unit="seconds",
        setting="ENVGRID_REPLICA_STICKY_SECONDS",
        admin_override=False,
        description_zh="写入后该用户的读取留在主库的秒数（读己之写）",
        description_en="Seconds a user's reads stay on the primary after a write (read-your-writes)",
    ),
    Rule(
        key="core.job_stale_seconds",
        default=300,
        type=INT,
        min=1,
        max=86400,
        unit="seconds",
        setting="ENVGRID_JOB_STALE_SECONDS",
        admin_override=False,
        description_zh="后台任务心跳超过多少秒视为工作进程已终止",
        description_en="Seconds without a heartbeat after which a job's worker counts as dead",
    ),
    Rule(
        key="core.job_max_attempts",
        default=3,
        type=INT,
        min=1,
        max=20,
        unit="attempts",
        setting="ENVGRID_JOB_MAX_ATTEMPTS",
        admin_override=False,
        description_zh="后台任务最多尝试次数",
        description_en="Most attempts of a background job",
    ),
)


# ---------------------------------------------------------------------- the docs table

DOC_HEADER = """# Configurable rules

<!-- Generated from the rule registry (envgrid.core.rules) by
     `python scripts/rules_config.py --write`; do not edit by hand.
     envgrid/core/tests/test_rules_registry.py fails when this file is out of date. -->

Every number, format and switch the rules depend on, one row each, as declared in the
apps' `rules.py`. Read in code with `rules.get("<key>")`. The value in force is, first
found: an administrator's active **database override** (admin → 基础 → 规则参数调整; only rules
marked *admin* below), then **settings** — `ENVGRID_RULES = {"<key>": value}` or the
setting named in the table, which `config/settings.py` fills from the environment variable
of the same name where it says so — then the **default**. A value outside the type or
range is refused (database: when saved, with the reason; settings: at first use).
*settings only* rules (security and upload limits) cannot be changed in the database.
See [decision 0012](decisions/0012-rule-registry.md).
"""


def _range(r: Rule) -> str:
    if r.min is None and r.max is None:
        return ""
    lo = _num(r.min) if r.min is not None else ""
    hi = _num(r.max) if r.max is not None else ""
    return f"{lo}–{hi}" if hi else f"≥ {lo}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown() -> str:
    """docs/rules-config.md as the registry says it should read."""
    out = [DOC_HEADER]
    by_app: dict[str, list[Rule]] = {}
    for r in registered():
        by_app.setdefault(r.key.split(".", 1)[0], []).append(r)
    for app, items in by_app.items():
        out.append(f"\n## {app}\n")
        out.append(
            "| key | default | type | range | unit | SPEC | who may change | setting | 说明 | description |"
        )
        out.append("|---|---|---|---|---|---|---|---|---|---|")
        for r in items:
            who = "admin, settings" if r.admin_override else "settings only"
            out.append(
                "| "
                + " | ".join(
                    _cell(c)
                    for c in (
                        f"`{r.key}`",
                        f"`{describe_value(r.default)}`",
                        r.type,
                        _range(r),
                        r.unit,
                        r.spec,
                        who,
                        f"`{r.setting}`" if r.setting else "",
                        r.description_zh,
                        r.description_en,
                    )
                )
                + " |"
            )
    return "\n".join(out) + "\n"
