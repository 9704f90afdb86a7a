"""Server-side inline SVG charts: no JavaScript chart library, nothing from a CDN."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe


def month_bars(
    months: Sequence[dt.date],
    counts: dict[dt.date, int],
    *,
    href: Callable[[dt.date], str],
    title: str,
    width: int = 220,
    height: int = 64,
) -> SafeString:
    """A small bar chart of counts per month; each bar links to its drill-down."""
    n = max(len(months), 1)
    peak = max([counts.get(m, 0) for m in months] + [1])
    gap = 2
    bar_w = max((width - gap * (n - 1)) / n, 2)
    plot_h = height - 14
    parts = [
        format_html(
            '<svg class="spark" role="img" aria-label="{}" width="100%" viewBox="0 0 {} {}" '
            'preserveAspectRatio="xMinYMin meet">',
            title,
            width,
            height,
        ),
        format_html(
            '<line class="chart-axis" x1="0" y1="{}" x2="{}" y2="{}"/>', plot_h, width, plot_h
        ),
    ]
    for i, m in enumerate(months):
        value = counts.get(m, 0)
        h = 0 if value == 0 else max(plot_h * value / peak, 2)
        x = i * (bar_w + gap)
        label = f"{m.year}-{m.month:02d}: {value}"
        parts.append(
            format_html(
                '<a href="{}"><rect class="chart-bar" x="{}" y="{}" width="{}" '
                'height="{}"><title>{}</title></rect></a>',
                href(m),
                f"{x:.1f}",
                f"{plot_h - h:.1f}",
                f"{bar_w:.1f}",
                f"{h:.1f}",
                label,
            )
        )
        if n <= 12 or i % 3 == 0:
            parts.append(
                format_html(
                    '<text class="chart-label" x="{}" y="{}" text-anchor="middle">{}</text>',
                    f"{x + bar_w / 2:.1f}",
                    height - 2,
                    m.month,
                )
            )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308 — every part escaped above


def shade(value: int, peak: int, *, hue: str = "red") -> str:
    """A fill colour from white to a strong hue by value / peak (map and table shading)."""
    if value <= 0 or peak <= 0:
        return "#f2f4f7"
    ratio = min(value / peak, 1.0)
    if hue == "red":
        start, end = (254, 228, 226), (180, 35, 24)
    else:
        start, end = (254, 240, 199), (181, 71, 8)
    rgb = [round(a + (b - a) * ratio) for a, b in zip(start, end, strict=True)]
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def esc(text: str) -> str:
    return str(escape(text))
