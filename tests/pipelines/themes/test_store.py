from pathlib import Path

import pytest

from pipelines.themes import ModelNotFound, ModelStore, ThemeClassifier


def save(store: ModelStore, classifier: ThemeClassifier, version: str, activate: bool = True) -> None:
    classifier.version = version
    store.save(classifier, {"version": version, "created_at": version}, activate=activate)


def test_a_saved_model_is_loaded_back_as_the_active_one(tmp_path: Path, classifier: ThemeClassifier) -> None:
    store = ModelStore(tmp_path / "models")
    original = classifier.version
    try:
        save(store, classifier, "20260101T000000-aaaaaaaa")
        assert store.active_version() == "20260101T000000-aaaaaaaa"
        loaded = store.load()
        assert loaded.thresholds == classifier.thresholds
        assert [s.version for s in store.versions()] == ["20260101T000000-aaaaaaaa"]
    finally:
        classifier.version = original


def test_pruning_keeps_the_newest_and_the_active(tmp_path: Path, classifier: ThemeClassifier) -> None:
    store = ModelStore(tmp_path / "models")
    original = classifier.version
    try:
        save(store, classifier, "20260101T000000-aaaaaaaa")  # active
        for day in (2, 3, 4):
            save(store, classifier, f"2026010{day}T000000-bbbbbbb{day}", activate=False)
        removed = store.prune(keep=2)
    finally:
        classifier.version = original
    assert removed == ["20260102T000000-bbbbbbb2"]
    assert [s.version for s in store.versions()] == ["20260101T000000-aaaaaaaa", "20260103T000000-bbbbbbb3",
                                                     "20260104T000000-bbbbbbb4"]


def test_no_model_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="veille model train"):
        ModelStore(tmp_path / "models").load()


def test_a_corrupt_model_says_what_to_run(tmp_path: Path) -> None:
    folder = tmp_path / "models" / "v1"
    folder.mkdir(parents=True)
    (folder / "model.pkl").write_bytes(b"not a pickle")
    (tmp_path / "models" / "ACTIVE").write_text("v1\n")
    with pytest.raises(ModelNotFound, match="cannot be read"):
        ModelStore(tmp_path / "models").load()
