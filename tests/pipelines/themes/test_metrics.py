import pytest

from pipelines.themes import best_threshold, evaluate


def test_metrics_count_each_theme_and_the_confusion() -> None:
    gold = [["environment"], ["public_space", "social_education"], [], ["environment"]]
    predicted = [["environment"], ["public_space"], ["environment"], ["public_space"]]
    metrics = evaluate(gold, predicted)
    assert metrics["n"] == 4
    assert metrics["per_theme"]["environment"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert metrics["per_theme"]["public_space"]["precision"] == 0.5
    assert metrics["per_theme"]["social_education"]["f1"] == 0.0
    assert metrics["exact_match"] == 0.25
    assert metrics["none"] == {"support": 1, "tagged": 1}
    assert metrics["confusion"]["environment"]["public_space"] == 1
    assert metrics["confusion"]["none"]["environment"] == 1
    assert metrics["per_theme"]["public_space"]["recall"] == 1.0
    assert metrics["macro_f1"] == pytest.approx((0.5 + 2 / 3 + 0.0) / 3, abs=1e-3)


def test_the_best_threshold_separates_the_classes() -> None:
    threshold, f1 = best_threshold([0.1, 0.2, 0.7, 0.9], [False, False, True, True])
    assert 0.2 < threshold <= 0.7 and f1 == 1.0
