"""Coverage over time as inline SVG: one line per theme, counts or share of all items."""

from __future__ import annotations

import math
from html import escape
from typing import Iterable, Sequence

# Colour-blind-safe (Okabe–Ito) and ≥ 3:1 against white.
COLOURS = {"social_education": "#0072B2", "environment": "#009E73", "public_space": "#D55E00", "*": "#555555",
           "none": "#CC79A7"}


def coverage_series(rows: Iterable[Sequence[object]]) -> tuple[list[str], dict[str, dict[str, tuple[int, float]]]]:
    """Weeks in order and, per theme, {week: (count, share)} from ``(week, theme, count, share)`` rows."""
    weeks: set[str] = set()
    series: dict[str, dict[str, tuple[int, float]]] = {}
    for week, theme, count, share in rows:
        weeks.add(str(week))
        series.setdefault(str(theme or "all"), {})[str(week)] = (int(count), float(share))  # type: ignore[arg-type]
    return sorted(weeks), series


def line_chart_svg(weeks: list[str], series: dict[str, dict[str, tuple[int, float]]], *, share: bool,
                   labels: dict[str, str], title: str, width: int = 720, height: int = 260) -> str:
    """A small accessible line chart (title, description, a table-like text fallback in <desc>)."""
    left, right, top, bottom = 48, 12, 24, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    pick = 1 if share else 0
    values = [v[pick] for s in series.values() for v in s.values()]
    peak = max(values, default=0) or 1
    if share:
        peak = min(1.0, max(peak, 0.05))
    else:  # whole-number gridlines: four equal integer steps
        peak = max(1, math.ceil(peak / 4)) * 4

    def x(i: int) -> float:
        if len(weeks) == 1:
            return left + plot_w / 2
        return left + (plot_w * i / (len(weeks) - 1))

    def y(v: float) -> float:
        return top + plot_h - plot_h * (v / peak)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-labelledby="t-{pick} d-{pick}" class="coverage-chart">',
             f'<title id="t-{pick}">{escape(title)}</title>']
    described = "; ".join(f"{labels.get(theme, theme)} : " + ", ".join(
        f"{w} {_fmt(s.get(w, (0, 0.0))[pick], share)}" for w in weeks) for theme, s in series.items())
    parts.append(f'<desc id="d-{pick}">{escape(described)}</desc>')
    for step in range(5):
        value = peak * step / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
                     f'stroke="#ddd"/><text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" '
                     f'font-size="11" fill="#444">{escape(_fmt(value, share))}</text>')
    label_every = max(1, len(weeks) // 8)
    for i, week in enumerate(weeks):
        if i % label_every == 0:
            parts.append(f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle" font-size="11" '
                         f'fill="#444">{escape(week[2:])}</text>')
    for theme, points in series.items():
        colour = COLOURS.get(theme, "#333")
        coords = " ".join(f"{x(i):.1f},{y(points.get(w, (0, 0.0))[pick]):.1f}" for i, w in enumerate(weeks))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2.5" points="{coords}"/>')
        for i, w in enumerate(weeks):
            if w in points:
                parts.append(f'<circle cx="{x(i):.1f}" cy="{y(points[w][pick]):.1f}" r="3" fill="{colour}">'
                             f'<title>{escape(labels.get(theme, theme))}, {escape(w)} : '
                             f'{escape(_fmt(points[w][pick], share))}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


def _fmt(value: float, share: bool) -> str:
    if share:
        return f"{value * 100:.0f} %"
    return str(int(round(value)))
