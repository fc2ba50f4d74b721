"""Dedupe: exact and near copies marked (never deleted), wire dispatches, within a window."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from models import Item
from pipelines import DedupeStage, ExtractStage, Runner, RunnerOptions
from pipelines.dedupe import DedupeOptions, Record, find_copies, wire_agency
from pipelines.extract import content_hash

from .conftest import add_items

AGENCIES = ("AFP", "Reuters", "AP", "APP")
T0 = datetime(2026, 11, 3, 8, tzinfo=timezone.utc)
TEXT = ("La Ville de Paris a présenté mardi le bilan de la saison de baignade dans la Seine et annoncé "
        "l'ouverture d'un quatrième site quai de la Gare en juin prochain, après des travaux de mise aux "
        "normes et un suivi renforcé de la qualité de l'eau en amont de la capitale.")


def body(article: dict) -> str:
    return article["lead"] + "\n" + "\n".join(article["body"])


def groups_of(copies: dict[int, object], ids: list[int]) -> dict[int, int]:
    return {i: copies[i].original if i in copies else i for i in ids}


def test_every_wire_copy_of_the_demo_corpus_is_found_and_nothing_else(demo_articles, demo_manifest) -> None:
    records = [Record(n, datetime.fromisoformat(a["published"]), body(a), content_hash(body(a)),
                      wire_agency(body(a), a["author"], AGENCIES) is not None)
               for n, a in enumerate(demo_articles)]
    copies = find_copies(records, DedupeOptions(threshold=0.5))
    number = {a["id"]: n for n, a in enumerate(demo_articles)}
    root = groups_of(copies, list(range(len(demo_articles))))
    expected = [(number[m["id"]], number[m["wire_of"]]) for m in demo_manifest.values() if m["wire_of"]]
    found = sum(root[copy] == root[original] for copy, original in expected)
    print(f"wire copies found: {found}/{len(expected)}; items marked: {len(copies)}")
    assert found == len(expected) == 8
    assert len(copies) == 8  # no other item is taken for a copy
    assert all(c.kind == "wire" for c in copies.values())


def test_the_original_is_the_earliest_published() -> None:
    later = Record(1, T0 + timedelta(hours=5), TEXT + " Les associations saluent ces progrès.")
    earlier = Record(2, T0, TEXT)
    copies = find_copies([later, earlier])
    assert list(copies) == [1] and copies[1].original == 2 and copies[1].kind == "near"


def test_an_identical_body_is_an_exact_copy() -> None:
    records = [Record(1, T0, TEXT, content_hash(TEXT)), Record(2, T0 + timedelta(hours=1), TEXT, content_hash(TEXT))]
    assert find_copies(records)[2].kind == "exact"


def test_copies_outside_the_window_are_not_copies() -> None:
    records = [Record(1, T0, TEXT), Record(2, T0 + timedelta(hours=80), TEXT + " Suite.")]
    assert find_copies(records, DedupeOptions(window_hours=72)) == {}


def test_different_articles_on_one_subject_are_not_copies(demo_articles, demo_manifest) -> None:
    story = [a for a in demo_articles if demo_manifest[a["id"]]["story"] == "s01"]
    records = [Record(n, datetime.fromisoformat(a["published"]), body(a)) for n, a in enumerate(story)]
    assert len(records) >= 3 and find_copies(records) == {}


@pytest.mark.parametrize("text, author, agency", [
    ("Texte de la dépêche. (AFP)", None, "AFP"),
    ("Texte repris. (avec AFP)", None, "AFP"),
    ("PARIS (Reuters) - La Ville a annoncé...", None, "Reuters"),
    ("Le texte.", "La rédaction avec AFP", "AFP"),
    ("Le texte de l'article.", "AP", "AP"),
    ("Baignade en Seine : le bilan. (APP)", None, "APP"),
    ("Un rapport de l'AFPA sur la formation.", None, None),
    ("Le chapeau de l'article. La suite du texte, sans signature.", "Claire Dufresne", None),
])
def test_wire_signatures_are_recognised(text: str, author: str | None, agency: str | None) -> None:
    assert wire_agency(text, author, AGENCIES) == agency


def test_the_stage_marks_copies_in_the_archive_and_keeps_them(database, demo_articles, demo_manifest) -> None:
    wanted = {m["id"] for m in demo_manifest.values() if m["wire_of"]} | \
             {m["wire_of"] for m in demo_manifest.values() if m["wire_of"]}
    chosen = [a for a in demo_articles if a["id"] in wanted] + demo_articles[:10]
    chosen = list({a["id"]: a for a in chosen}.values())
    ids = add_items(database, chosen)
    Runner(database, [ExtractStage(), DedupeStage()], RunnerOptions(batch_size=5)).run()
    with database.reader() as session:
        items = {i.id: i for i in session.scalars(select(Item))}
    assert len(items) == len(chosen)  # nothing deleted
    for m in demo_manifest.values():
        if m["wire_of"]:
            copy, original = items[ids[m["id"]]], items[ids[m["wire_of"]]]
            assert (copy.duplicate_of_id or copy.id) == (original.duplicate_of_id or original.id)
            assert copy.is_wire
    marked = [i for i in items.values() if i.duplicate_of_id]
    assert len(marked) == 8 and {i.duplicate_kind for i in marked} == {"wire"}
    assert all(items[i.duplicate_of_id].duplicate_of_id is None for i in marked)  # copies point to the original
