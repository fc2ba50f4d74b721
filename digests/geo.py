"""The map of Paris by arrondissement: compact SVG paths (package data) and the choropleth.

The paths in ``data/arrondissements.json`` are built by `build_map_data` from the Ville de
Paris arrondissement polygons (../shared/geo, ODbL): projected to a flat plane (equirectangular
at 48.86° N, which is exact to a fraction of a pixel over Paris), simplified with
Douglas–Peucker at a tolerance of a third of a pixel and rounded to 0.1 px. That takes the
196 KB GeoJSON down to a few kilobytes; a test rebuilds it from the shared file and compares.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from html import escape
from importlib.resources import files
from typing import Any, Iterable

from .french import arrondissement, plural

ATTRIBUTION = "Source : Ville de Paris — opendata.paris.fr, ODbL"
MAP_WIDTH = 600.0
TOLERANCE = 0.33
# A sequential palette (light to dark blue); every class keeps its label readable
# (the darkest two take white text). Class 0 is "no item".
PALETTE = ("#f2f2f2", "#d6e6f4", "#9ecae1", "#5a9bd0", "#2a6cb0", "#0d3f80")
TEXT_ON = ("#1a1a1a", "#1a1a1a", "#1a1a1a", "#1a1a1a", "#ffffff", "#ffffff")

Point = tuple[float, float]


def _simplify(points: list[Point], tolerance: float) -> list[Point]:
    """Douglas–Peucker on an open polyline (the ring's closing point is handled by the caller)."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        norm = math.hypot(dx, dy)
        best, index = 0.0, -1
        for i in range(first + 1, last):
            px, py = points[i]
            distance = (abs(dy * px - dx * py + x2 * y1 - y2 * x1) / norm if norm
                        else math.hypot(px - x1, py - y1))
            if distance > best:
                best, index = distance, i
        if best > tolerance and index > 0:
            keep[index] = True
            stack.extend(((first, index), (index, last)))
    return [p for p, k in zip(points, keep) if k]


def build_map_data(geojson: dict[str, Any], width: float = MAP_WIDTH,
                   tolerance: float = TOLERANCE) -> dict[str, Any]:
    """Project and simplify the arrondissement polygons into SVG paths (see the module docstring)."""
    features = sorted(geojson["features"], key=lambda f: int(f["properties"]["c_ar"]))
    lons = [x for f in features for x, _ in f["geometry"]["coordinates"][0]]
    lats = [y for f in features for _, y in f["geometry"]["coordinates"][0]]
    kx = math.cos(math.radians(48.86))
    min_x, max_x = min(lons) * kx, max(lons) * kx
    scale = width / (max_x - min_x)
    height = (max(lats) - min(lats)) * scale

    def project(lon: float, lat: float) -> Point:
        return ((lon * kx - min_x) * scale, (max(lats) - lat) * scale)

    shapes = []
    for feature in features:
        props = feature["properties"]
        ring = [project(lon, lat) for lon, lat in feature["geometry"]["coordinates"][0]]
        if ring[0] == ring[-1]:
            ring = ring[:-1]
        # Split the ring at its farthest point so both halves keep their ends.
        far = max(range(len(ring)), key=lambda i: math.dist(ring[0], ring[i]))
        simplified = _simplify(ring[:far + 1], tolerance)[:-1] + _simplify(ring[far:] + [ring[0]], tolerance)[:-1]
        path = "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in simplified) + "Z"
        lat, lon = props["geom_x_y"]
        label_x, label_y = project(lon, lat)
        shapes.append({"n": int(props["c_ar"]), "name": props["l_aroff"], "d": path,
                       "x": round(label_x, 1), "y": round(label_y, 1)})
    return {"width": round(width, 1), "height": round(height, 1), "attribution": ATTRIBUTION,
            "shapes": shapes}


@lru_cache(maxsize=1)
def map_data() -> dict[str, Any]:
    return json.loads(files("digests").joinpath("data/arrondissements.json").read_text(encoding="utf-8"))


def arrondissement_names() -> dict[int, str]:
    return {shape["n"]: shape["name"] for shape in map_data()["shapes"]}


def classes(counts: dict[int, int], steps: int = len(PALETTE) - 1) -> dict[int, int]:
    """Colour class per arrondissement: 0 for none, then 1..steps in proportion to the maximum."""
    top = max(counts.values(), default=0)
    return {n: 0 if not counts.get(n) else max(1, math.ceil(steps * counts[n] / top)) for n in range(1, 21)}


def render_map_svg(counts: dict[int, int], *, title: str = "Articles par arrondissement",
                   unit: tuple[str, str] = ("article", "articles"), id_prefix: str = "carte",
                   width: int | None = None, links: dict[int, str] | None = None) -> str:
    """An accessible SVG choropleth of ``counts`` (arrondissement → number), with the ODbL credit.

    Every arrondissement has a ``<title>`` ("11e – Popincourt : 3 articles") for screen
    readers and hover; ``links`` optionally makes each one a link (the web search map).
    """
    data = map_data()
    level = classes(counts)
    title_id, desc_id = f"{id_prefix}-titre", f"{id_prefix}-desc"
    cited = [n for n in range(1, 21) if counts.get(n)]
    description = (f"{len(cited)} arrondissements sur 20 ont au moins un {unit[0]}."
                   if cited else f"Aucun {unit[0]} localisé dans un arrondissement.")
    legend_height = 34
    total_height = data["height"] + legend_height
    size = f' width="{width}"' if width else ""
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {data["width"]:.0f} {total_height:.0f}"{size} '
             f'role="img" aria-labelledby="{title_id} {desc_id}" class="carte">',
             f'<title id="{title_id}">{escape(title)}</title>',
             f'<desc id="{desc_id}">{escape(description)} {escape(ATTRIBUTION)}</desc>',
             '<g stroke="#ffffff" stroke-width="1.2" stroke-linejoin="round">']
    for shape in data["shapes"]:
        n = shape["n"]
        label = f"{arrondissement(n)} – {shape['name']} : {plural(counts.get(n, 0), *unit)}"
        path = (f'<path d="{shape["d"]}" fill="{PALETTE[level[n]]}"><title>{escape(label)}</title></path>')
        if links and n in links:
            path = f'<a href="{escape(links[n])}">{path}</a>'
        parts.append(path)
    parts.append('</g><g font-family="DejaVu Sans, Arial, sans-serif" font-size="11" text-anchor="middle" '
                 'aria-hidden="true">')
    for shape in data["shapes"]:
        n = shape["n"]
        parts.append(f'<text x="{shape["x"]}" y="{shape["y"] + 4:.1f}" fill="{TEXT_ON[level[n]]}">'
                     f'{arrondissement(n)}</text>')
    parts.append("</g>")
    parts.extend(_legend(counts, data["height"] + 8, unit))
    parts.append("</svg>")
    return "".join(parts)


def _legend(counts: dict[int, int], top: float, unit: tuple[str, str]) -> Iterable[str]:
    maximum = max(counts.values(), default=0)
    yield f'<g font-family="DejaVu Sans, Arial, sans-serif" font-size="11" fill="#1a1a1a" aria-hidden="true">'
    yield f'<rect x="4" y="{top:.0f}" width="14" height="14" fill="{PALETTE[0]}" stroke="#767676"/>'
    yield f'<text x="22" y="{top + 11:.0f}">aucun</text>'
    for i in range(1, len(PALETTE)):
        yield f'<rect x="{70 + (i - 1) * 18}" y="{top:.0f}" width="16" height="14" fill="{PALETTE[i]}"/>'
    yield (f'<text x="{74 + (len(PALETTE) - 1) * 18}" y="{top + 11:.0f}">de 1 à {plural(maximum, *unit)}'
           f' (le plus foncé)</text>' if maximum else "")
    yield (f'<text x="{MAP_WIDTH - 4:.0f}" y="{top + 11:.0f}" text-anchor="end" font-size="9">'
           f'{escape(ATTRIBUTION)}</text>')
    yield "</g>"
