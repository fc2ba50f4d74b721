"""The session's theme model (tests/conftest.py `theme_model`) and the paris-dev set."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.themes import ThemeClassifier, TrainResult


@pytest.fixture(scope="session")
def trained(theme_model: TrainResult) -> TrainResult:
    return theme_model


@pytest.fixture(scope="session")
def classifier(trained: TrainResult) -> ThemeClassifier:
    return trained.classifier


@pytest.fixture(scope="session")
def paris_dev(shared_dir: Path) -> Path:
    path = shared_dir / "corpora" / "paris-dev" / "paris_news_dev.jsonl"
    if not path.is_file():
        pytest.fail(f"{path} is missing: the theme quality floors are measured on it")
    return path
