"""The archive search on SQLite and PostgreSQL: words, inflections, phrases, prefixes,
fields, filters, facets, sorting, pagination, export, coverage and the map."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete

from models import Database, Item
from models.search import (QueryError, SearchRequest, arrondissement_counts, coverage, iter_hits,
                           rebuild_index, search)

from .search_data import DOCS, at, load, relabel


@pytest.fixture
def archive(database: Database) -> dict[str, int]:
    return load(database)


def keys(database: Database, archive: dict[str, int], q: str = "", **filters) -> set[str]:
    by_id = {v: k for k, v in archive.items()}
    with database.reader() as session:
        page = search(session, SearchRequest(q=q, page_size=50, **filters))
    assert page.total == len(page.hits)
    return {by_id[hit.item_id] for hit in page.hits}


@pytest.mark.parametrize("q", ["école", "écoles", "ecole", "ECOLES"])
def test_inflections_and_accents_find_the_same_items(database, archive, q) -> None:
    assert keys(database, archive, q) == {"ecole", "ecoles", "vegetalisation"}


def test_vegetalise_finds_vegetalisation(database, archive) -> None:
    assert keys(database, archive, "végétalisé") == {"vegetalisation"}
    assert keys(database, archive, "vegetalise") == {"vegetalisation"}


def test_an_unaccented_word_finds_the_accented_one(database, archive) -> None:
    assert keys(database, archive, "election") == {"elections"}


def test_a_phrase_needs_its_words_together(database, archive) -> None:
    assert keys(database, archive, '"conseil de Paris"') == {"conseil", "velo"}
    assert keys(database, archive, "conseil") == {"conseil", "velo", "canicule"}


def test_a_prefix_matches_the_start_of_words(database, archive) -> None:
    assert keys(database, archive, "végét*") == {"vegetalisation", "ecole"}
    assert keys(database, archive, "cycl*") == {"velo"}


def test_title_field_looks_only_at_titles(database, archive) -> None:
    assert keys(database, archive, "title:conseil") == {"conseil"}
    assert keys(database, archive, 'titre:"conseil de Paris"') == {"conseil"}


def test_source_field_matches_source_names(database, archive) -> None:
    assert keys(database, archive, "source:libération") == {"ecoles", "conseil", "elections"}
    assert keys(database, archive, "source:libé*") == {"ecoles", "conseil", "elections"}
    assert keys(database, archive, "source:inconnu") == set()


def test_boolean_operators(database, archive) -> None:
    assert keys(database, archive, "vélo OR canicule") == {"velo", "canicule"}
    assert keys(database, archive, "école AND végétalisation") == {"vegetalisation"}
    assert keys(database, archive, "école végétalisation") == {"vegetalisation"}
    assert keys(database, archive, "école NOT végétalisation") == {"ecole", "ecoles"}
    assert keys(database, archive, "école -végétalisation") == {"ecole", "ecoles"}
    assert keys(database, archive, "(vélo OR canicule) AND conseil") == {"velo", "canicule"}


def test_a_query_of_exclusions_only_starts_from_everything(database, archive) -> None:
    assert keys(database, archive, "-école") == set(archive) - {"ecole", "ecoles", "vegetalisation"}


def test_filters_combine_with_the_query(database, archive) -> None:
    assert keys(database, archive, "école", themes=["environment"]) == {"vegetalisation"}
    assert keys(database, archive, "", arrondissements=[11]) == {"ecole", "vegetalisation", "velo"}
    assert keys(database, archive, "", outlet_types=["national"]) == {"ecoles", "conseil", "elections"}
    assert keys(database, archive, "", entities=["anne_hidalgo"]) == {"ecole", "conseil"}
    assert keys(database, archive, "", story_id=1) == {"ecole", "ecoles"}
    assert keys(database, archive, "", date_from=date(2026, 11, 5), date_to=date(2026, 11, 12)) == {
        "ecoles", "vegetalisation", "velo"}
    assert keys(database, archive, "", themes=["environment", "public_space"]) == {
        "vegetalisation", "velo", "conseil", "canicule"}


def test_source_filter_takes_source_ids(database, archive) -> None:
    with database.reader() as session:
        item = session.get(Item, archive["ecoles"])
        source_id = item.source_id
    assert keys(database, archive, "", sources=[source_id]) == {"ecoles", "conseil", "elections"}


def test_facets_count_the_matches(database, archive) -> None:
    with database.reader() as session:
        page = search(session, SearchRequest(q="école"))
    facets = {name: {value: count for value, _, count in values} for name, values in page.facets.items()}
    assert facets["theme"] == {"social_education": 3, "environment": 1}
    assert facets["arrondissement"] == {11: 2, 12: 1, 19: 1}
    assert facets["outlet_type"] == {"regional": 1, "national": 1, "institutional": 1}
    assert facets["entity"] == {"anne_hidalgo": 1}
    assert ("anne_hidalgo", "Anne Hidalgo", 1) in page.facets["entity"]
    assert page.facets_sample == 3


def test_sort_by_date_is_newest_first(database, archive) -> None:
    with database.reader() as session:
        page = search(session, SearchRequest(q="", sort="date", page_size=50))
    dates = [hit.published_at for hit in page.hits]
    assert dates == sorted(dates, reverse=True) and len(dates) == len(DOCS)


def test_relevance_puts_title_matches_first(database, archive) -> None:
    with database.reader() as session:
        page = search(session, SearchRequest(q="conseil"))
    assert page.hits[0].item_id == archive["conseil"]
    assert page.hits[0].score >= page.hits[-1].score


def test_pagination_covers_every_hit_once(database, archive) -> None:
    seen = []
    with database.reader() as session:
        for number in (1, 2, 3):
            page = search(session, SearchRequest(q="", sort="date", page=number, page_size=3))
            assert page.total == len(DOCS) and page.pages == 3
            seen += [hit.item_id for hit in page.hits]
    assert sorted(seen) == sorted(archive.values())


def test_snippets_are_escaped_and_highlighted(database, archive) -> None:
    with database.reader() as session:
        hostile = search(session, SearchRequest(q="piège")).hits[0]
        ecoles = search(session, SearchRequest(q="écoles", sort="date")).hits
    assert "<script>" not in hostile.title_html and "&lt;script&gt;" in hostile.title_html
    assert "<b " not in hostile.snippet_html and "&lt;b onclick=" in hostile.snippet_html
    assert "<mark>piège</mark>" in hostile.snippet_html
    assert "<mark>écoles</mark>" in ecoles[1].snippet_html


def test_export_streams_every_match(database, archive) -> None:
    with database.reader() as session:
        exported = list(iter_hits(session, SearchRequest(q=""), batch=3))
    assert sorted(hit.item_id for hit in exported) == sorted(archive.values())


def test_coverage_counts_weeks_and_shares(database, archive) -> None:
    with database.reader() as session:
        rows = coverage(session, SearchRequest(q="école"))
    table = {(week, theme): (count, share) for week, theme, count, share in rows}
    assert table[("2026-W45", "*")] == (2, 1.0)  # both items of week 45 speak of schools
    assert table[("2026-W45", "social_education")] == (2, 1.0)
    assert table[("2026-W46", "environment")] == (1, 0.5)  # 1 of the 2 items of week 46


def test_arrondissement_counts(database, archive) -> None:
    with database.reader() as session:
        counts = arrondissement_counts(session, SearchRequest(q="école"))
    assert {k: v for k, v in counts.items() if v} == {11: 2, 12: 1, 19: 1}
    assert set(counts) == set(range(1, 21))


def test_a_label_overrides_the_model_themes(database, archive) -> None:
    relabel(database, archive["velo"], ["environment"])
    assert keys(database, archive, "", themes=["environment"]) == {"vegetalisation", "velo", "canicule"}
    assert "velo" not in keys(database, archive, "", themes=["public_space"])


def test_rebuild_gives_the_same_answers(database, archive) -> None:
    before = keys(database, archive, "école OR conseil")
    with database.transaction() as session:
        assert rebuild_index(session) == len(DOCS)
    assert keys(database, archive, "école OR conseil") == before


def test_a_deleted_item_leaves_the_index(database, archive) -> None:
    with database.transaction() as session:
        session.execute(delete(Item).where(Item.id == archive["velo"]))
    assert keys(database, archive, "cyclable") == set()


@pytest.mark.parametrize("q", ['"non fermé', "(vélo", "vélo)", "AND vélo", "vélo OR", "()", "a*", "vé*lo",
                               "title:", "NOT"])
def test_malformed_queries_raise_a_query_error_with_a_position(database, archive, q) -> None:
    with database.reader() as session, pytest.raises(QueryError) as error:
        search(session, SearchRequest(q=q))
    assert 0 <= error.value.position <= len(q)
    assert error.value.message


SEARCH_FUZZ_RUNS = 150


def test_any_query_string_gives_results_or_a_query_error(database, archive) -> None:
    """Hypothesis feeds the real search (FTS5 / tsquery compilation included) on both databases."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    alphabet = st.sampled_from(list('éa "()*:-_\'{}^+|&!') + ["AND", "OR", "NOT", "title:", "source:", "école",
                                                              "NEAR", "conseil", "paris", "é*", "lib*"])

    @settings(max_examples=SEARCH_FUZZ_RUNS, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.one_of(st.text(max_size=40), st.lists(alphabet, max_size=12).map(" ".join),
                     st.lists(alphabet, max_size=12).map("".join)))
    def check(q: str) -> None:
        with database.reader() as session:
            try:
                page = search(session, SearchRequest(q=q))
            except QueryError:
                return
            assert page.total >= len(page.hits)

    check()


def test_relevance_pages_past_the_ranked_window_continue_by_date(database, archive, monkeypatch) -> None:
    import models.search as module
    monkeypatch.setattr(module, "RELEVANCE_WINDOW", 3)
    monkeypatch.setattr(module, "FACET_SAMPLE", 3)
    seen = []
    with database.reader() as session:
        for number in (1, 2, 3, 4):
            page = search(session, SearchRequest(q="-zzzz", page=number, page_size=2))
            seen += [hit.item_id for hit in page.hits]
        assert page.facets_sample == 3
    assert sorted(seen) == sorted(archive.values())


def test_large_totals_are_capped_or_estimated_and_said_so(database, archive, monkeypatch) -> None:
    import models.search as module
    monkeypatch.setattr(module, "RELEVANCE_WINDOW", 2)
    monkeypatch.setattr(module, "FACET_SAMPLE", 2)
    monkeypatch.setattr(module, "COUNT_CAP", 3)
    monkeypatch.setattr(module, "PG_EXACT_LIMIT", 0)
    with database.reader() as session:
        page = search(session, SearchRequest(q="-zzzz"))
    if database.dialect == "sqlite":
        assert (page.total, page.total_kind, page.total_text) == (3, "at_least", "plus de 3 résultats")
    else:
        assert page.total_kind == "about" and page.total_text.startswith("environ ")
    assert not page.total_exact


def test_a_single_word_total_is_exact(database, archive, monkeypatch) -> None:
    import models.search as module
    monkeypatch.setattr(module, "RELEVANCE_WINDOW", 1)
    monkeypatch.setattr(module, "FACET_SAMPLE", 1)
    monkeypatch.setattr(module, "PG_EXACT_LIMIT", 100)
    with database.reader() as session:
        page = search(session, SearchRequest(q="écoles"))
    assert (page.total, page.total_kind, page.total_text) == (3, "exact", "3 résultats")


def test_an_item_without_text_is_indexed_by_its_title(database) -> None:
    from .search_data import Doc
    ids = load(database, [Doc("seul", "Cantines", "", at(1))])
    assert keys(database, ids, "cantine") == {"seul"}
    assert keys(database, ids, '"cantines"') == {"seul"}


def test_a_query_asked_again_after_the_index_changed_sees_the_change(database, archive) -> None:
    assert "velo" in keys(database, archive, "", themes=["public_space"])
    relabel(database, archive["velo"], ["environment"])
    assert "velo" not in keys(database, archive, "", themes=["public_space"])
    assert "canicule" in keys(database, archive, "", themes=["environment"])
    with database.transaction() as session:
        session.execute(delete(Item).where(Item.id == archive["canicule"]))
    assert "canicule" not in keys(database, archive, "", themes=["environment"])


def test_on_sqlite_the_next_page_of_a_query_reuses_its_window_of_matches(database, archive, monkeypatch) -> None:
    import models.search as search_module

    calls = []
    read = search_module._candidates
    monkeypatch.setattr(search_module, "_candidates", lambda *a, **k: calls.append(1) or read(*a, **k))
    with database.reader() as session:
        first = search(session, SearchRequest(q="école", page_size=1))
        second = search(session, SearchRequest(q="école", page=2, page_size=1))
    assert first.hits[0].item_id != second.hits[0].item_id and first.total == second.total
    assert len(calls) == (1 if database.dialect == "sqlite" else 2)
