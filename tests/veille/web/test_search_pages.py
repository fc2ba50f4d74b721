"""Analysts search the archive: phrases, filters, facets, snippets, coverage, map, full exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from models.search import index_items
from tests.veille.web.conftest import IN_WEEK, add_item, add_source


@pytest.fixture
def archive(app, newsroom) -> dict[str, int]:
    """The newsroom plus 45 items on school streets over three weeks, and one hostile item."""
    with app.db.transaction() as session:
        source = add_source(session, "Quartiers Nord", "local")
        ids = [add_item(session, source, f"Rue aux écoles numéro {n}", text=f"La rue aux écoles {n} ferme aux voitures.",
                        scores={"public_space": 0.8}, when=IN_WEEK - timedelta(days=7 * (n % 3)),
                        places=(18,)).id for n in range(45)]
        hostile = add_item(session, source, '<img src=x onerror=alert(1)>Piscine "sauvage"',
                           text="Une piscine <script>alert(2)</script> éphémère au bord du canal.")
        index_items(session, ids + [hostile.id])
    return {**newsroom, "source": source.id, "hostile": hostile.id}


def test_a_phrase_with_a_filter_finds_highlighted_hits_and_facets(client, login_as, archive) -> None:
    login_as("analyst")
    html = client.get('/search', params={"q": '"rue aux écoles"', "arr": "18"}).text
    assert '<strong id="total">46</strong>' in html  # 45 + the newsroom's "Rues aux écoles" item
    assert "<mark>" in html
    assert "18e arrondissement" in html and "Quartiers Nord" in html  # facets
    assert "page 1 sur 3" in html


def test_facet_links_filter_by_source_id(client, login_as, archive) -> None:
    login_as("analyst")
    html = client.get("/search", params={"q": "écoles", "source": archive["source"]}).text
    assert '<strong id="total">45</strong>' in html


def test_hostile_titles_and_snippets_are_escaped(client, login_as, archive) -> None:
    login_as("analyst")
    html = client.get("/search", params={"q": "piscine"}).text
    assert "<img src=x" not in html and "<script>alert(2)" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


@pytest.mark.parametrize("query", ['"rue aux', "vélo AND", "(école", "title:", "'; DROP TABLE items; --",
                                   "NEAR(a b", "école)) OR"])
def test_a_malformed_query_gets_a_message_not_a_500(client, login_as, archive, query: str) -> None:
    login_as("analyst")
    response = client.get("/search", params={"q": query})
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert "Requête mal formée" in response.text
    api = client.get("/api/search", params={"q": query})
    assert api.status_code in (200, 400)
    if api.status_code == 400:
        assert api.json()["detail"]["message"]


def test_bad_filters_say_how_to_write_them(client, login_as, archive) -> None:
    login_as("analyst")
    for params, message in (({"from": "hier"}, "AAAA-MM-JJ"), ({"arr": "21"}, "entre 1 et 20"),
                            ({"theme": "sport"}, "thème inconnu"), ({"sort": "random"}, "tri")):
        response = client.get("/search", params=params)
        assert response.status_code == 400 and message in response.text, params


def test_the_csv_export_streams_the_whole_result_set(client, login_as, archive) -> None:
    login_as("analyst")
    response = client.get("/search/export.csv", params={"q": "écoles", "source": archive["source"]})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 45  # more than two pages: not truncated
    assert {r["source"] for r in rows} == {"Quartiers Nord"} and rows[0]["url"].startswith("https://")


def test_the_json_export_streams_the_whole_result_set(client, login_as, archive) -> None:
    login_as("analyst")
    data = json.loads(client.get("/search/export.json", params={"q": "écoles", "source": archive["source"]}).text)
    assert data["count"] == 45 and len(data["items"]) == 45
    assert data["items"][0]["themes"] == ["public_space"]


def test_an_export_of_a_malformed_query_is_a_400(client, login_as, archive) -> None:
    login_as("analyst")
    assert client.get("/search/export.csv", params={"q": '"rue aux'}).status_code == 400


def test_exports_need_a_search_role(client, login_as, archive) -> None:
    assert client.get("/search/export.csv", params={"q": "écoles"}).status_code == 303
    login_as("member")
    assert client.get("/search/export.csv", params={"q": "écoles"}).status_code == 403
    assert client.get("/search", params={"q": "écoles"}).status_code == 403


def test_coverage_over_time_as_counts_and_share(client, login_as, archive) -> None:
    login_as("analyst")
    html = client.get("/search/coverage", params={"q": "écoles"}).text
    assert html.count("<svg") == 2 and "Espace public" in html
    assert "2026-W45" in html and "2026-W47" in html  # three weeks of data


def test_the_map_counts_arrondissements_with_the_odbl_credit(client, login_as, archive) -> None:
    login_as("analyst")
    html = client.get("/search/map", params={"q": "écoles"}).text
    assert "<svg" in html and "ODbL" in html
    assert "<td>18e</td><td>46</td>" in html
