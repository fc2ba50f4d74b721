"""Scores, labels and the review queue in the archive (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Database, Item, Label, Source, ThemeModel, ThemeScore
from pipelines.themes import (ClassifyStage, LabelError, ThemeClassifier, active_model, add_label, effective_themes,
                              labelled_examples, labels_since, record_model, review_queue, uncertainty)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def make_items(session: Session, texts: list[tuple[str, str]], age: timedelta = timedelta(hours=1)) -> list[Item]:
    source = session.scalars(select(Source)).first()
    if source is None:
        source = Source(name="Le Parisien test", url="http://127.0.0.1/feed", outlet_type="regional")
        session.add(source)
        session.flush()
    items = []
    for index, (title, text) in enumerate(texts):
        item = Item(canonical_url=f"http://127.0.0.1/{title}/{index}", url=f"http://127.0.0.1/{index}",
                    source=source, title=title, text=text, state="enriched", first_seen_at=NOW - age)
        session.add(item)
        items.append(item)
    session.flush()
    return items


ITEMS = [("Rue aux écoles dans le 18e", "La rue devant l'école élémentaire est fermée aux voitures."),
         ("Ligue 1 : le PSG gagne", "Les Parisiens battent Lyon 3-1 au Parc des Princes."),
         ("Des arbres plantés boulevard Voltaire", "La Ville plante cinquante arbres le long du boulevard.")]


def test_the_stage_stores_one_score_per_theme_with_version_and_reasons(database: Database,
                                                                        classifier: ThemeClassifier) -> None:
    stage = ClassifyStage(classifier)
    assert stage.name == "classify" and stage.available() == (True, "")
    with database.transaction() as session:
        items = make_items(session, ITEMS)
        assert stage.process(session, items) == {}
        assert stage.process(session, items) == {}  # idempotent: scores are replaced, not added
        ids = [item.id for item in items]
    with database.reader() as session:
        scores = session.scalars(select(ThemeScore).order_by(ThemeScore.item_id, ThemeScore.theme)).all()
        assert len(scores) == 9
        assert {score.model_version for score in scores} == {"test-model"}
        school = {s.theme: s for s in scores if s.item_id == ids[0]}
        assert school["public_space"].assigned and school["social_education"].assigned
        assert school["public_space"].reasons[0]["term"]
        assert not any(s.assigned for s in scores if s.item_id == ids[1])
        themes = effective_themes(session, ids)
        assert themes[ids[0]] == ["public_space", "social_education"] and themes[ids[1]] == []
        assert "environment" in themes[ids[2]]


def test_a_stage_without_model_says_why() -> None:
    available, reason = ClassifyStage(None).available()
    assert not available and "veille model train" in reason


def test_the_latest_label_overrides_the_model_and_becomes_training_data(database: Database,
                                                                        classifier: ThemeClassifier) -> None:
    with database.transaction() as session:
        items = make_items(session, ITEMS)
        ClassifyStage(classifier).process(session, items)
        add_label(session, items[1].id, ["public_space"], author="Awa")
        add_label(session, items[1].id, [], author="Léo", origin="cli")
        add_label(session, items[0].id, ["public_space", "social_education"], author="Awa")
        ids = [item.id for item in items]
    with database.reader() as session:
        themes = effective_themes(session, ids)
        assert themes[ids[1]] == [] and themes[ids[0]] == ["public_space", "social_education"]
        examples = labelled_examples(session)
        assert [(e.title, e.themes) for e in examples] == [(ITEMS[0][0], ("public_space", "social_education")),
                                                          (ITEMS[1][0], ())]
        assert labels_since(session, None) == 3


def test_a_bad_label_is_refused_with_the_reason(database: Database) -> None:
    with database.transaction() as session:
        (item,) = make_items(session, ITEMS[:1])
        with pytest.raises(LabelError, match="unknown theme 'sport'"):
            add_label(session, item.id, ["sport"], author="Awa")
        with pytest.raises(LabelError, match="no item"):
            add_label(session, item.id + 1000, [], author="Awa")
        with pytest.raises(LabelError, match="author"):
            add_label(session, item.id, [], author=" ")


def test_the_review_queue_puts_the_most_uncertain_unlabelled_items_first(database: Database,
                                                                         classifier: ThemeClassifier) -> None:
    with database.transaction() as session:
        record_model(session, classifier, "/tmp/x", n_examples=1, n_labels=0, active=True)
        items = make_items(session, ITEMS)
        old = make_items(session, [("Une crèche ferme", "Les parents d'élèves protestent.")],
                         age=timedelta(days=40))
        ClassifyStage(classifier).process(session, items + old)
        # Item 0 is made doubtful on purpose: a score right at its threshold.
        doubtful = session.scalars(select(ThemeScore).where(ThemeScore.item_id == items[2].id,
                                                            ThemeScore.theme == "social_education")).one()
        doubtful.score = classifier.thresholds["social_education"]
        add_label(session, items[1].id, [], author="Awa")
    with database.reader() as session:
        queue = review_queue(session, limit=10, window=timedelta(days=14), now=NOW)
        assert [c.item_id for c in queue] == [items[2].id, items[0].id]
        assert queue[0].uncertainty == 1.0 and queue[0].theme == "social_education"
        assert queue[0].model_version == "test-model"
        assert len(review_queue(session, limit=10, window=None, now=NOW)) == 3
        assert [c.item_id for c in review_queue(session, limit=10, window=14, now=NOW)] == [c.item_id for c in queue]
        assert len(review_queue(session, limit=1, window=None, now=NOW)) == 1


def test_uncertainty_is_highest_at_the_threshold() -> None:
    assert uncertainty(0.4, 0.4) == 1.0
    assert uncertainty(0.0, 0.4) == 0.0 and uncertainty(1.0, 0.4) == 0.0
    assert uncertainty(0.2, 0.4) == pytest.approx(0.5)


def test_one_model_row_is_active(database: Database, classifier: ThemeClassifier) -> None:
    with database.transaction() as session:
        record_model(session, classifier, "/a", n_examples=10, n_labels=0, active=True)
        original = classifier.version
        classifier.version = "test-model-2"
        try:
            record_model(session, classifier, "/b", n_examples=11, n_labels=1, active=True)
        finally:
            classifier.version = original
    with database.reader() as session:
        assert active_model(session).version == "test-model-2"
        rows = session.scalars(select(ThemeModel).order_by(ThemeModel.id)).all()
        assert [row.active for row in rows] == [False, True]
        assert rows[1].thresholds == classifier.thresholds and rows[1].metrics["macro_f1"] > 0.8
