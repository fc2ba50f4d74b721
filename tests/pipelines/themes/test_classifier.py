import pickle

import pytest

from pipelines.themes import THEMES, Example, ThemeClassifier, TrainResult, project_examples, train


def test_training_gives_thresholds_and_cross_validated_metrics(trained: TrainResult) -> None:
    assert set(trained.classifier.thresholds) == set(THEMES)
    assert all(0.15 <= value <= 0.85 for value in trained.classifier.thresholds.values())
    assert trained.metrics["n"] >= 1000
    assert trained.metrics["macro_f1"] > 0.85
    assert trained.oof.shape == (trained.metrics["n"], 3)


def test_a_school_street_is_public_space_and_social_education(classifier: ThemeClassifier) -> None:
    (prediction,) = classifier.predict([("Une nouvelle rue aux écoles dans le 18e",
                                         "La rue devant l'école élémentaire est fermée aux voitures aux heures "
                                         "d'entrée et de sortie des élèves.")])
    assert prediction.themes == ["social_education", "public_space"]
    assert all(0 <= score <= 1 for score in prediction.scores.values())
    terms = [reason["term"] for reason in prediction.reasons["public_space"]]
    assert "rue aux écoles" in terms
    assert set(prediction.reasons) == set(prediction.themes)


def test_a_football_result_gets_no_theme(classifier: ThemeClassifier) -> None:
    (prediction,) = classifier.predict([("Ligue 1 : le PSG s'impose face à Lyon",
                                         "Les Parisiens ont battu l'OL 3-1 au Parc des Princes dimanche soir, "
                                         "avec un doublé de leur attaquant.")])
    assert prediction.themes == [] and prediction.reasons == {}


def test_reasons_are_readable_words_not_function_words(classifier: ThemeClassifier) -> None:
    (prediction,) = classifier.predict([("Canicule : la Ville ouvre des salles rafraîchies",
                                         "Face à la vague de chaleur, les personnes âgées isolées sont appelées.")])
    for reasons in prediction.reasons.values():
        assert reasons and all(reason["weight"] > 0 for reason in reasons)
        assert not {reason["term"] for reason in reasons} & {"la", "de", "les", "à"}


@pytest.mark.parametrize("title, text, warning", [
    ("Vélo", "", "very short text"),
    ("Heatwave", "Paris opens cooling rooms for elderly residents as temperatures reach forty degrees in the "
                 "city this week, the mayor said on Monday.", "does not look French"),
    ("حديقة", "افتتاح حديقة جديدة في باريس", "not in the Latin script"),
])
def test_doubtful_input_is_classified_with_a_warning(classifier: ThemeClassifier, title: str, text: str,
                                                     warning: str) -> None:
    (prediction,) = classifier.predict([(title, text)])
    assert any(warning in message for message in prediction.warnings)


def test_a_huge_text_is_classified(classifier: ThemeClassifier) -> None:
    (prediction,) = classifier.predict([("Des arbres plantés", "Les arbres du square. " * 30_000)])
    assert "environment" in prediction.themes


def test_the_model_survives_pickling_with_the_same_scores(classifier: ThemeClassifier) -> None:
    copy = pickle.loads(pickle.dumps(classifier))
    item = [("Encadrement des loyers", "Les locataires parisiens et les loyers trop élevés.")]
    assert copy.predict(item)[0].scores == classifier.predict(item)[0].scores


def test_training_refuses_too_little_data() -> None:
    examples = [Example(f"école {i}", "élèves", ("social_education",)) for i in range(30)]
    with pytest.raises(ValueError, match="each theme needs both positive and negative"):
        train(examples)
    with pytest.raises(ValueError, match="too few"):
        train(examples[:5])


def test_training_twice_on_the_same_data_gives_the_same_model() -> None:
    examples = project_examples()[::4]
    first, second = train(examples), train(examples)
    assert first.classifier.thresholds == second.classifier.thresholds
    assert first.metrics == second.metrics
    item = [("Un square rouvre", "Des arbres plantés et des bancs neufs pour les riverains.")]
    assert first.classifier.predict(item)[0].scores == second.classifier.predict(item)[0].scores
