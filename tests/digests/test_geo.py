import json
import re
from pathlib import Path

from digests.geo import ATTRIBUTION, build_map_data, map_data, render_map_svg


def test_the_packaged_map_is_the_shared_polygons_projected_and_simplified(shared_dir: Path) -> None:
    geojson = json.loads((shared_dir / "geo" / "paris-arrondissements.geojson").read_text(encoding="utf-8"))
    assert build_map_data(geojson) == map_data()


def test_the_packaged_map_has_twenty_arrondissements_and_stays_small() -> None:
    data = map_data()
    assert [s["n"] for s in data["shapes"]] == list(range(1, 21))
    assert data["shapes"][10]["name"] == "Popincourt"
    size = len(json.dumps(data))
    assert size < 12_000, size
    for shape in data["shapes"]:
        assert 0 <= shape["x"] <= data["width"] and 0 <= shape["y"] <= data["height"]


def test_the_map_shades_counts_names_each_arrondissement_and_credits_the_source() -> None:
    svg = render_map_svg({11: 4, 19: 1})
    assert svg.count("<path ") == 20
    assert "11e – Popincourt : 4\u00a0articles" in svg
    assert "19e – Buttes-Chaumont : 1\u00a0article" in svg
    assert "7e – Palais-Bourbon : 0\u00a0article" in svg
    assert ATTRIBUTION in svg
    assert 'role="img"' in svg and "<title id=" in svg
    assert len(set(re.findall(r'fill="(#[0-9a-f]{6})"><title>', svg))) == 3  # none, light, darkest


def test_the_map_can_link_each_arrondissement() -> None:
    svg = render_map_svg({}, links={3: "/search?place=3"})
    assert '<a href="/search?place=3"><path' in svg
    assert "Aucun article localisé" in svg
