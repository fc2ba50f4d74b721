"""The model commands and jobs: classify, eval, train with labels, status, retraining, init."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from models import Item, Source, ThemeModel
from pipelines.themes import ModelStore, add_label, project_examples
from veille.cli import app as cli
from veille.cli.common import run_guarded
from veille.core import Veille
from veille.jobs import model as jobs

EVAL_KEYS = {"n", "macro_f1", "micro_f1", "exact_match", "per_theme"}


def config_for(app: Veille, tmp_path: Path, **model: object) -> Path:
    path = tmp_path / "config.yaml"
    raw = {"data_dir": str(app.data_dir), "database_url": app.settings.resolved_database_url}
    if model:
        raw["model"] = model
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def run(config: Path, *args: str, stdin: str | None = None, monkeypatch: pytest.MonkeyPatch | None = None) -> int:
    if stdin is not None and monkeypatch is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return run_guarded(cli, ["--config", str(config), *args])


def add_items(app: Veille, items: list[tuple[str, str]]) -> list[int]:
    with app.db.transaction() as session:
        source = Source(name="Source test", url="http://127.0.0.1/feed", outlet_type="local")
        session.add(source)
        rows = [Item(canonical_url=f"http://127.0.0.1/{i}", url=f"http://127.0.0.1/{i}", source=source,
                     title=title, text=text, state="classified") for i, (title, text) in enumerate(items)]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


BAD_INPUT = "\n".join([
    json.dumps({"id": "a", "title": "Canicule : des salles rafraîchies pour les aînés",
                "text": "La Ville ouvre des salles climatisées pour les personnes âgées isolées."}),
    "{oops",
    json.dumps({"title": "", "text": ""}),
    json.dumps({"title": "Une rue aux écoles dans le 11e"}),
    json.dumps({"title": "Un très long texte", "text": "La rue et les arbres. " * 20_000}),
    json.dumps({"title": "Heatwave in Paris", "text": "The city opened cooling rooms for older residents as "
                                                      "temperatures reached forty degrees on Tuesday."}),
    json.dumps({"title": "حديقة", "text": "افتتاح حديقة جديدة في باريس"}),
])


def test_classify_tags_each_line_and_reports_bad_lines(app_with_model: Veille, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    config = config_for(app_with_model, tmp_path)
    assert run(config, "classify", "--json", stdin=BAD_INPUT, monkeypatch=monkeypatch) == 0
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert len(lines) == 5
    first = lines[0]
    assert first["id"] == "a" and "environment" in first["themes"] and "social_education" in first["themes"]
    assert set(first["scores"]) == {"social_education", "environment", "public_space"}
    assert first["reasons"]["environment"][0]["term"]
    assert lines[1]["title"] == "Une rue aux écoles dans le 11e" and "public_space" in lines[1]["themes"]
    assert "line 2: not valid JSON" in captured.err
    assert "line 3: no `title` and no `text`" in captured.err
    assert "line 6: the text does not look French" in captured.err
    assert "line 7: the text is not in the Latin script" in captured.err
    assert "5 items classified, 2 lines skipped" in captured.err


def test_eval_prints_the_metrics_contract_and_skips_bad_lines(app_with_model: Veille, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "set.jsonl"
    data.write_text("\n".join([
        json.dumps({"title": "Rue aux écoles", "text": "La rue de l'école fermée aux voitures.",
                    "themes": ["public_space", "social_education"], "why": "ignored", "hard": True}),
        json.dumps({"title": "Le PSG gagne", "text": "Victoire 3-1 contre Lyon en Ligue 1.", "themes": []}),
        json.dumps({"title": "x", "text": "y", "themes": ["sport"]}),
        "not json"]), encoding="utf-8")
    assert run(config_for(app_with_model, tmp_path), "model", "eval", "--data", str(data), "--json") == 0
    captured = capsys.readouterr()
    metrics = json.loads(captured.out)
    assert EVAL_KEYS <= set(metrics) and metrics["n"] == 2
    assert set(metrics["per_theme"]) == {"social_education", "environment", "public_space"}
    assert set(metrics["per_theme"]["public_space"]) == {"precision", "recall", "f1", "support"}
    assert metrics["exact_match"] == 1.0
    assert "line 3: unknown theme 'sport'" in captured.err and "line 4: not valid JSON" in captured.err


def test_eval_of_a_missing_file_says_so(app_with_model: Veille, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert run(config_for(app_with_model, tmp_path), "model", "eval", "--data", str(tmp_path / "no.jsonl")) == 1
    assert "cannot read" in capsys.readouterr().err


def test_commands_without_a_model_say_what_to_run(app: Veille, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert run(config_for(app, tmp_path), "classify", "--json", stdin="{}", monkeypatch=monkeypatch) == 1
    assert "run `veille model train`" in capsys.readouterr().err


def test_train_adds_labels_and_prints_what_changed(sqlite_app: Veille, theme_model: object, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    app = sqlite_app
    ModelStore(app.models_dir).save(theme_model.classifier, {"version": "test-model"}, activate=True)
    ids = add_items(app, [("Le marché des biffins s'installe porte de Montreuil",
                           "Des vendeurs précaires étalent leurs objets sur le trottoir chaque week-end.")] * 1)
    with app.db.transaction() as session:
        add_label(session, ids[0], ["public_space", "social_education"], author="Awa")
    assert run(config_for(app, tmp_path), "model", "train") == 0
    out = capsys.readouterr().out
    assert f"{len(project_examples()) + 1} examples (1 facilitators' labels)" in out and "active." in out
    assert "Previous model test-model: macro-F1" in out and "Tags that change on 1 archived items" in out
    store = ModelStore(app.models_dir)
    assert store.active_version() != "test-model"
    with app.db.reader() as session:
        row = session.scalars(select(ThemeModel).where(ThemeModel.active.is_(True))).one()
        assert row.version == store.active_version() and row.n_labels == 1 and len(row.data_hash) == 64
        assert row.metrics["macro_f1"] > 0.85 and set(row.thresholds) == {"social_education", "environment",
                                                                            "public_space"}
    assert run(config_for(app, tmp_path), "model", "status") == 0
    assert f"* {row.version}" in capsys.readouterr().out


def test_retraining_waits_for_enough_labels_and_keeps_a_better_model(sqlite_app: Veille, theme_model: object,
                                                                     tmp_path: Path) -> None:
    app = sqlite_app
    classifier = theme_model.classifier
    original = classifier.metrics
    classifier.metrics = {**original, "macro_f1": 0.999}  # an active model no retraining can beat
    try:
        ModelStore(app.models_dir).save(classifier, {"version": "test-model"}, activate=True)
    finally:
        classifier.metrics = original
    ids = add_items(app, [("Des tentes le long du canal", "Un campement de personnes sans abri sur le quai.")])
    with app.db.transaction() as session:
        add_label(session, ids[0], ["public_space", "social_education"], author="Awa")
    app.settings.model.retrain_min_labels = 2
    assert jobs.retrain_tick(app) == "1 new labels (< 2): no retraining"
    app.settings.model.retrain_min_labels = 1
    summary = jobs.retrain_tick(app)
    assert "NOT activated" in summary
    store = ModelStore(app.models_dir)
    assert store.active_version() == "test-model" and len(store.versions()) == 2


def test_init_trains_a_model_only_when_none_exists(app_with_model: Veille) -> None:
    assert jobs.ensure_model(app_with_model) is None
    assert ModelStore(app_with_model.models_dir).active_version() == "test-model"


def test_the_classify_stage_of_the_app_uses_the_active_model(app_with_model: Veille) -> None:
    stage = jobs.classify_stage(app_with_model)
    assert stage.available() == (True, "") and stage.model.version == "test-model"


def test_train_with_a_missing_extra_file_says_which(sqlite_app: Veille, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "extra.jsonl"
    assert run(config_for(sqlite_app, tmp_path), "model", "train", "--data", str(missing)) == 1
    assert f"cannot read {missing}" in capsys.readouterr().err
    assert ModelStore(sqlite_app.models_dir).active_version() is None


def test_status_without_a_model_says_what_to_run(app: Veille, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert run(config_for(app, tmp_path), "model", "status") == 0
    assert "run `veille model train`" in capsys.readouterr().out
