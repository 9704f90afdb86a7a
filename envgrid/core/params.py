"""Query-parameter parsing shared by the APIs: a bad value is a 400 naming the parameter,
never a 500 from the database (a year like 92394 makes Django's __year lookup raise;
schemathesis found these)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import ApplicationError

YEAR_MIN = 1949
YEAR_MAX = 2999
# The largest id any database here stores (a 64-bit signed integer): a 20-digit ?unit=
# was "Python int too large to convert to SQLite INTEGER", a 500.
ID_MAX = 2**63 - 1
# ASCII digits only: str.isdigit() is true for "²" (int() then fails) and int() itself
# accepts "١٢", "1_000" and " 12 " — none of them an id a client means.
_INT_RE = re.compile(r"-?[0-9]{1,19}")


def maybe_int(value: Any, *, lo: int | None = None, hi: int | None = None) -> int | None:
    """``value`` as an int when it is a plain ASCII integer within [lo, hi] (and within
    the 64-bit range), else None: for optional ids and numbers where "not one" simply
    matches nothing. Use :func:`query_int` where a bad value must be a 400."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not _INT_RE.fullmatch(text):
            return None
        number = int(text)
    if not -ID_MAX <= number <= ID_MAX:
        return None
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        return None
    return number


def maybe_id(value: Any) -> int | None:
    """A database id (1 … 2**63-1) from a query string or form, or None."""
    return maybe_int(value, lo=1, hi=ID_MAX)


# Earliest moment a record may carry: zoneinfo gives Asia/Shanghai a local-mean-time
# offset (+08:05:43) before 1901, which is not a valid RFC 3339 offset.
EARLIEST = dt.datetime(YEAR_MIN, 10, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def query_int(
    params: Mapping[str, Any],
    name: str,
    *,
    lo: int | None = None,
    hi: int | None = None,
    default: int | None = None,
) -> int | None:
    """The integer in ``params[name]``; ``default`` when absent or blank; 400 otherwise."""
    raw = params.get(name)
    if raw is None or str(raw).strip() == "":
        return default
    text = str(raw).strip()
    if not _INT_RE.fullmatch(text) or not -ID_MAX <= int(text) <= ID_MAX:
        raise ApplicationError(
            _("参数 %(name)s 须为整数。") % {"name": name},
            code="invalid",
            fields={name: [_("须为整数")]},
        )
    value = int(text)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ApplicationError(
            _("参数 %(name)s 超出范围（%(lo)s–%(hi)s）。")
            % {
                "name": name,
                "lo": lo if lo is not None else "",
                "hi": hi if hi is not None else "",
            },
            code="invalid",
            fields={name: [_("超出范围")]},
        )
    return value


def query_year(
    params: Mapping[str, Any], name: str = "year", *, current_if_absent: bool = False
) -> int | None:
    """A calendar year between 1949 and 2999; the current year when absent if asked."""
    default = timezone.localdate().year if current_if_absent else None
    return query_int(params, name, lo=YEAR_MIN, hi=YEAR_MAX, default=default)


def check_plausible_time(value: dt.datetime | None, field: str) -> None:
    """Refuse a moment before 1949-10-01: a typo (year 365) rather than a real record."""
    if value is not None and value < EARLIEST:
        raise ApplicationError(
            _("时间早于1949年10月1日，请检查。"),
            code="time_too_early",
            fields={field: [_("时间过早")]},
        )


class _PlausibleIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 moment between 1949 and 2999 with a real-world UTC offset (±14:00):
    PostgreSQL refuses offsets beyond ±15:59, which was a 500 on the case list."""

    def to_python(self, value: Any) -> Any:
        result = super().to_python(value)
        if result is None:
            return None
        offset = result.utcoffset()
        if offset is not None and abs(offset) > dt.timedelta(hours=14):
            raise ValidationError(_("时区偏移超出范围（±14:00）。"), code="invalid")
        if not YEAR_MIN <= result.year <= YEAR_MAX:
            raise ValidationError(
                _("年份须在 %(lo)s–%(hi)s 之间。") % {"lo": YEAR_MIN, "hi": YEAR_MAX},
                code="invalid",
            )
        return result


class PlausibleIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = _PlausibleIsoDateTimeField
