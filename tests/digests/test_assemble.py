"""Selection, grouping, ranking and the sections of a review, on SQLite and PostgreSQL."""

from digests.assemble import assemble_review
from digests.options import ReviewOptions
from models import Database

from .conftest import NOW, Archive, build_week


def titles(review) -> list[str]:  # type: ignore[no-untyped-def]
    return [s.title for s in review.stories()] + [b.title for b in review.brief]


def test_the_review_takes_the_groups_items_of_the_week_and_nothing_else(
        database: Database, archive: Archive, options: ReviewOptions) -> None:
    build_week(archive)
    review = assemble_review(archive.session, "environment", "2026-W47", options, now=NOW)
    shown = titles(review)
    assert "Nuit blanche : le programme" not in shown  # next week
    assert "Résultats du PSG" not in shown  # under the threshold
    assert "Un sapin géant sur le parvis" not in shown  # excluded by a facilitator
    assert "Le marathon de Paris change de parcours" not in shown  # labelled out of the group
    assert "Une ressourcerie ouvre rue de Charonne" in shown  # labelled into the group
    assert review.counts.model_dump() == {"items": 10, "stories": 6, "outlets": 6}
    assert review.week_label == "semaine du 16 au 22 novembre 2026"
    assert review.editor_note == "Semaine chargée sur l'air : on en parle jeudi."


def test_stories_group_their_articles_and_copies_and_rank_by_outlets(
        database: Database, archive: Archive, options: ReviewOptions) -> None:
    build_week(archive)
    review = assemble_review(archive.session, "environment", "2026-W47", options, now=NOW)
    first, second = review.top
    assert first.title == "Les cours Oasis du 11e, un an après"
    assert (first.item_count, first.outlet_count, first.arrondissements) == (3, 3, [11, 20])
    assert set(first.score_parts) == {"outlets", "diversity", "paris", "recency", "relevance", "pinned"}
    assert abs(sum(first.score_parts.values()) - first.score) < 1e-3
    assert second.title == "Pics de pollution à la porte de la Chapelle"
    wire = [s for s in second.sources if s.wire]
    assert len(wire) == 1 and wire[0].copy_of == "Le Courrier d'Île-de-France"
    assert first.score > second.score


def test_summaries_are_attributed_short_quotations(database: Database, archive: Archive,
                                                    options: ReviewOptions) -> None:
    items = build_week(archive)
    review = assemble_review(archive.session, "environment", "2026-W47", options, now=NOW)
    oasis = review.top[0]
    assert 2 <= len(oasis.summary) <= 3
    texts = {i.id: i.text for i in items.values()}
    for quote in oasis.summary:
        assert quote.text.replace("\u202f", " ") in texts[quote.item_id]
        assert quote.outlet in {s.outlet for s in oasis.sources}
    short = next(s for s in review.stories() if s.title.startswith("Baignade"))
    assert short.summary == []  # two short sentences: quoting either would be most of the article


def test_sections_by_subtopic_then_brief(database: Database, archive: Archive, options: ReviewOptions) -> None:
    build_week(archive)
    review = assemble_review(archive.session, "environment", "2026-W47", options, now=NOW)
    assert [s.key for s in review.sections] == ["dechets", "eau"]
    assert [line.title for line in review.brief] == ["Des composteurs de quartier dans le 19e",
                                                      "Un plan canicule pour les écoles"]


def test_a_pin_puts_a_story_first_and_its_note_is_shown(database: Database, archive: Archive,
                                                         options: ReviewOptions) -> None:
    items = build_week(archive)
    digest = archive.session.query(__import__("models").Digest).one()
    archive.entry(digest, item_id=items["heat"].id, pinned=True, note="À discuter avec le groupe école.")
    review = assemble_review(archive.session, "environment", "2026-W47", options, now=NOW)
    assert review.top[0].title == "Un plan canicule pour les écoles"
    assert review.top[0].pinned and review.top[0].note == "À discuter avec le groupe école."
    assert review.top[0].score_parts["pinned"] == 100.0


def test_excluding_a_story_removes_all_its_articles(database: Database, archive: Archive,
                                                     options: ReviewOptions) -> None:
    items = build_week(archive)
    digest = archive.session.query(__import__("models").Digest).one()
    archive.entry(digest, story_id=items["air1"].story_id, excluded=True)
    review = assemble_review(archive.session, "environment", "2026-W47", options, now=NOW)
    assert not any("porte de la Chapelle" in t for t in titles(review))
    assert review.counts.items == 7


def test_map_history_decryptage_and_blind_spots(database: Database, archive: Archive,
                                                options: ReviewOptions) -> None:
    build_week(archive)
    review = assemble_review(archive.session, "environment", "2026-W47", options, now=NOW)
    assert review.map_counts == {4: 1, 11: 4, 13: 1, 18: 3, 19: 1, 20: 1}
    assert [w.count for w in review.history] == [0, 0, 0, 0, 3, 3, 3, 10]
    assert review.history[-1].current and review.history[-1].label == "16 nov."
    assert [d.title for d in review.decryptage] == ["Les cours Oasis du 11e, un an après"]
    assert len(review.decryptage[0].angles) == 3
    assert review.history_weeks_with_data == 3
    blind = [(s.key, s.this_week, s.usual) for s in review.blind_arrondissements]
    assert blind == [("12", 0, 3.0)]


def test_a_week_without_items_is_an_empty_review_that_says_so(database: Database, archive: Archive,
                                                               options: ReviewOptions) -> None:
    build_week(archive)
    review = assemble_review(archive.session, "environment", "2026-W49", options, now=NOW)
    assert review.empty and review.counts.items == 0
    assert review.top == [] and review.brief == [] and review.map_counts == {}
    assert review.week_label == "semaine du 30 novembre au 6 décembre 2026"
    # Past weeks count every tagged item (W47 had one excluded from its own review).
    assert [w.count for w in review.history][-4:] == [3, 11, 1, 0]


def test_the_context_survives_a_round_trip_through_json(database: Database, archive: Archive,
                                                        options: ReviewOptions) -> None:
    build_week(archive)
    review = assemble_review(archive.session, "environment", "2026-W47", options, now=NOW)
    again = type(review).model_validate_json(review.model_dump_json())
    assert again == review
