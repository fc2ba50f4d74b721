"""A small inline SVG bar chart: the group's items per week over the last weeks."""

from __future__ import annotations

from html import escape

from .context import WeekCount
from .french import plural

BAR = "#5a9bd0"
CURRENT = "#0d3f80"  # contrast with white: 10.6:1
INK = "#1a1a1a"


def render_chart_svg(history: list[WeekCount], *, id_prefix: str = "courbe", width: int = 360,
                     height: int = 150) -> str:
    """Bars per week (this week darker), each labelled by its Monday and with its count in a <title>."""
    if not history:
        return ""
    top = max(w.count for w in history) or 1
    left, bottom, gap = 8, 30, 6
    plot_h = height - bottom - 18
    bar_w = (width - left * 2 - gap * (len(history) - 1)) / len(history)
    title_id, desc_id = f"{id_prefix}-titre", f"{id_prefix}-desc"
    summary = ", ".join(f"semaine du {w.label} : {w.count}" for w in history)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-labelledby="{title_id} {desc_id}" class="courbe">',
             f'<title id="{title_id}">Articles du groupe par semaine, sur {plural(len(history), "semaine")}</title>',
             f'<desc id="{desc_id}">{escape(summary)}</desc>',
             f'<g font-family="DejaVu Sans, Arial, sans-serif" font-size="10" fill="{INK}" text-anchor="middle">']
    for i, week in enumerate(history):
        x = left + i * (bar_w + gap)
        h = plot_h * week.count / top
        y = height - bottom - h
        fill = CURRENT if week.current else BAR
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{max(h, 1):.1f}" fill="{fill}">'
                     f'<title>Semaine du {escape(week.label)} : {escape(plural(week.count, "article"))}</title></rect>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" aria-hidden="true">{week.count}</text>')
        weight = ' font-weight="bold"' if week.current else ""
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - bottom + 14:.1f}" aria-hidden="true"'
                     f'{weight}>{escape(week.label)}</text>')
    parts.append(f'<line x1="{left}" x2="{width - left}" y1="{height - bottom}" y2="{height - bottom}" '
                 f'stroke="{INK}" stroke-width="1"/>')
    parts.append("</g></svg>")
    return "".join(parts)
