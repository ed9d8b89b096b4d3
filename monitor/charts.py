"""Target charts: cumulative progress against the straight line, as data for ECharts (pages)
and as inline SVG (the printable report and its PDF, which run no scripts)."""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .models import TargetIndicator


def _month_end(month: str, evaluated_on: date | None) -> date:
    year, number = (int(part) for part in month.split("-"))
    end = date(year, number, calendar.monthrange(year, number)[1])
    return min(end, evaluated_on) if evaluated_on else end


def unit_of(indicator: str) -> str:
    return _("t CO₂e") if indicator == TargetIndicator.NET_CO2E_T else _("t")


def chart_series(entry: dict[str, Any]) -> dict[str, Any]:
    """One target entry (``monitor.public.target_entries``) as two series of (date, value)."""
    year = entry["year"]
    start = date(year, 1, 1)
    cumulative: list[list[Any]] = []
    if entry["evaluated_on"] is not None:
        cumulative.append([start.isoformat(), 0.0])
        for point in entry["months"]:
            cumulative.append(
                [_month_end(point["month"], entry["evaluated_on"]).isoformat(), float(point["cumulative"])]
            )
    return {
        "id": entry["id"],
        "title": f"{entry['indicator_label']} · {year}",
        "year": year,
        "unit": unit_of(entry["indicator"]),
        "value": float(entry["value"]),
        "on_track": entry["on_track"],
        "cumulative": cumulative,
        "line": [[start.isoformat(), 0.0], [date(year, 12, 31).isoformat(), float(entry["value"])]],
        "labels": {"cumulative": _("Cumulative"), "line": _("Straight line to the target")},
    }


# --- SVG ---------------------------------------------------------------------------------------
WIDTH, HEIGHT = 520, 200
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56, 12, 12, 26


def target_svg(entry: dict[str, Any]) -> SafeString:
    """A small chart: the cumulative curve (solid) against the straight line (dashed)."""
    series = chart_series(entry)
    year = series["year"]
    days = 366 if calendar.isleap(year) else 365
    values = [series["value"], 0.0, *(v for _, v in series["cumulative"])]
    top, bottom = max(values), min(values)
    span = (top - bottom) or 1.0

    def x(day: str) -> float:
        offset = (date.fromisoformat(day) - date(year, 1, 1)).days
        return PAD_LEFT + (WIDTH - PAD_LEFT - PAD_RIGHT) * offset / (days - 1)

    def y(value: float) -> float:
        return PAD_TOP + (HEIGHT - PAD_TOP - PAD_BOTTOM) * (top - value) / span

    def points(pairs) -> str:
        return " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in pairs)

    parts = [
        format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999" stroke-width="1"/>',
            PAD_LEFT,
            f"{y(0):.1f}",
            WIDTH - PAD_RIGHT,
            f"{y(0):.1f}",
        ),
        format_html(
            '<polyline points="{}" fill="none" stroke="#a05a00" stroke-width="1.5" stroke-dasharray="5,4"'
            ' data-series="line"/>',
            points(series["line"]),
        ),
    ]
    if series["cumulative"]:
        parts.append(
            format_html(
                '<polyline points="{}" fill="none" stroke="#1f7a4d" stroke-width="2.5"'
                ' data-series="cumulative"/>',
                points(series["cumulative"]),
            )
        )
    for month in (1, 4, 7, 10):
        day = date(year, month, 1).isoformat()
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="9" fill="#555">{}</text>',
                f"{x(day):.1f}",
                HEIGHT - 8,
                date(year, month, 1).strftime("%m/%Y"),
            )
        )
    parts.append(
        format_html(
            '<text x="4" y="{}" font-size="9" fill="#555">{} {}</text>',
            f"{y(series['value']) + 3:.1f}",
            f"{series['value']:,.0f}",
            series["unit"],
        )
    )
    body = mark_safe("".join(parts))  # noqa: S308 - every part above is format_html-escaped
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" role="img"'
        ' aria-label="{}" data-target="{}">{}</svg>',
        WIDTH,
        HEIGHT,
        series["title"],
        series["id"],
        body,
    )


def share_percent(share: Decimal | None) -> str:
    return "—" if share is None else f"{share * 100:.0f} %"
