"""The theme model's jobs: train, ensure one exists, retrain on new labels, evaluate, classify.

The shipped model is trained from the project's own files (package data of `pipelines`)
plus the facilitators' labels in the database, so `veille model train` reproduces it from
a clean checkout. Each trained version is stored in ``<data_dir>/models`` and recorded in
the `theme_models` table; `settings.model.keep_versions` are kept.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TextIO

from sqlalchemy import select

from models import DatabaseError, Item, ItemState
from pipelines.themes import (FORMAT, THEMES, ClassifyStage, Example, LineError, ModelNotFound, ModelStore,
                              ThemeClassifier, activate_model, active_model, data_hash, evaluate, iter_jsonl,
                              labelled_examples, labels_since, new_version, project_examples, read_labelled,
                              record_model, train as train_classifier)

from ..core import Veille

log = logging.getLogger(__name__)

# A retrained model whose cross-validated macro-F1 falls more than this below the active
# model's is kept aside, not activated, by the scheduler.
WORSE_BY = 0.01
# Items of the archive (newest first) compared between the old and the new model.
FLIP_SAMPLE = 2_000


class ModelJobError(Exception):
    """The model job cannot go on; the message says what to do."""


def store_of(app: Veille) -> ModelStore:
    return ModelStore(app.models_dir)


@lru_cache(maxsize=4)
def _load(folder: str, version: str) -> ThemeClassifier:
    return ModelStore(Path(folder)).load(version)


def load_model(app: Veille) -> ThemeClassifier:
    """The active model (cached per version); `ModelNotFound` says what to run when there is none."""
    store = store_of(app)
    version = store.active_version()
    if version is None:
        return store.load()  # raises ModelNotFound with the message
    return _load(str(store.folder), version)


def classify_stage(app: Veille) -> ClassifyStage:
    """The pipeline stage `classify` on the active model (unavailable, with the reason, if none)."""
    try:
        return ClassifyStage(load_model(app))
    except ModelNotFound as exc:
        return ClassifyStage(None, str(exc))


@dataclass
class TrainReport:
    version: str
    activated: bool
    n_examples: int
    n_labels: int
    seconds: float
    metrics: dict[str, Any]
    previous_version: str | None = None
    previous_metrics: dict[str, Any] | None = None
    flips: list[dict[str, Any]] = field(default_factory=list)
    flip_pool: int = 0
    pruned: list[str] = field(default_factory=list)
    note: str = ""

    def summary(self) -> str:
        lines = [f"Model {self.version} trained on {self.n_examples} examples "
                 f"({self.n_labels} facilitators' labels) in {self.seconds:.1f} s; "
                 f"{'active' if self.activated else 'NOT activated'}."]
        lines.append("Cross-validated macro-F1 " + _metrics_line(self.metrics))
        if self.previous_metrics is not None:
            lines.append(f"Previous model {self.previous_version}: macro-F1 " + _metrics_line(self.previous_metrics))
            lines.append(f"Tags that change on {self.flip_pool} archived items: {len(self.flips)}")
            for flip in self.flips[:10]:
                lines.append(f"  #{flip['item_id']} {flip['title'][:70]!r}: "
                             f"{'+'.join(flip['before']) or 'none'} → {'+'.join(flip['after']) or 'none'}")
        if self.note:
            lines.append(self.note)
        if self.pruned:
            lines.append(f"Old versions removed: {', '.join(self.pruned)}")
        return "\n".join(lines)


def _metrics_line(metrics: dict[str, Any]) -> str:
    per_theme = metrics.get("per_theme", {})
    return f"{metrics.get('macro_f1', 0):.3f} (" + ", ".join(
        f"{theme} {per_theme.get(theme, {}).get('f1', 0):.3f}" for theme in THEMES) + ")"


def _database_labels(app: Veille) -> list[Example] | None:
    """The facilitators' labels, or None when there is no usable database yet."""
    try:
        with app.db.reader() as session:
            return labelled_examples(session)
    except DatabaseError as exc:
        log.warning("training without facilitators' labels: %s", exc)
        return None


def training_examples(app: Veille, data: Iterable[Path] = ()) -> tuple[list[Example], int, list[str]]:
    """Project files + extra files + labels; (examples, number of labels, warnings)."""
    try:
        examples = project_examples()
    except ValueError as exc:
        raise ModelJobError(f"the project's training data is broken: {exc}") from None
    warnings: list[str] = []
    for path in data:
        try:
            extra, errors = read_labelled(Path(path))
        except OSError as exc:
            raise ModelJobError(f"cannot read {path}: {exc.strerror}") from None
        warnings.extend(f"{path}: {error}" for error in errors)
        examples.extend(extra)
    labels = _database_labels(app)
    if labels is None:
        warnings.append("no database: trained without facilitators' labels (run `veille init` first)")
        labels = []
    return examples + labels, len(labels), warnings


def train(app: Veille, progress: bool | Callable[[str], None] = False, *, data: Iterable[Path] = (),
          keep_if_worse: bool = False) -> TrainReport:
    """Train a new version, store and record it, and activate it (unless `keep_if_worse` and it is worse)."""
    echo = progress if callable(progress) else (print if progress else None)
    examples, n_labels, warnings = training_examples(app, data)
    for warning in warnings:
        log.warning("%s", warning)
        if echo:
            echo(f"warning: {warning}")
    started = time.perf_counter()
    try:
        result = train_classifier(examples, progress=echo)
    except ValueError as exc:
        raise ModelJobError(f"cannot train the theme model: {exc}") from None
    classifier = result.classifier
    classifier.data_hash = data_hash(examples, f"format={FORMAT}", classifier.lexicon.source_hash)
    classifier.version = new_version(classifier.data_hash)
    store = store_of(app)
    previous_version = store.active_version()
    previous: ThemeClassifier | None = None
    if previous_version:
        try:
            previous = store.load(previous_version)
        except ModelNotFound as exc:
            log.warning("the active model cannot be compared: %s", exc)
    report = TrainReport(classifier.version, True, len(examples), n_labels, time.perf_counter() - started,
                         result.metrics, previous_version if previous else None,
                         previous.metrics if previous else None)
    if previous is not None:
        worse = result.metrics["macro_f1"] < previous.metrics.get("macro_f1", 0) - WORSE_BY
        if worse and keep_if_worse:
            report.activated = False
            report.note = (f"The new model is worse on the held-out folds "
                           f"({result.metrics['macro_f1']:.3f} < {previous.metrics.get('macro_f1', 0):.3f}): "
                           f"{previous_version} stays active.")
        elif worse:
            report.note = "Warning: the new model is worse on the held-out folds than the previous one."
        report.flips, report.flip_pool = _flips(app, previous, classifier, examples)
    meta = {"version": classifier.version, "data_hash": classifier.data_hash, "format": FORMAT,
            "created_at": classifier.version.split("-")[0], "n_examples": len(examples), "n_labels": n_labels,
            "seconds": round(report.seconds, 2), "metrics": result.metrics, "thresholds": classifier.thresholds,
            "lexicon_hash": classifier.lexicon.source_hash}
    try:
        stored = store.save(classifier, meta, activate=report.activated)
    except OSError as exc:
        raise ModelJobError(f"cannot write the model to {store.folder}: {exc.strerror or exc}") from None
    try:
        with app.db.transaction() as session:
            record_model(session, classifier, str(stored.path), n_examples=len(examples), n_labels=n_labels,
                         active=report.activated, notes=report.note or None)
    except DatabaseError as exc:
        log.warning("model %s not recorded in the database: %s", classifier.version, exc)
    report.pruned = store.prune(app.settings.model.keep_versions)
    return report


def _flips(app: Veille, before: ThemeClassifier, after: ThemeClassifier,
           examples: list[Example]) -> tuple[list[dict[str, Any]], int]:
    """Items whose tags differ between two models: the newest archived items, else the training data."""
    pool: list[tuple[int | None, str, str]] = []
    try:
        with app.db.reader() as session:
            rows = session.execute(select(Item.id, Item.title, Item.text, Item.summary)
                                   .where(Item.state != ItemState.dropped.value)
                                   .order_by(Item.first_seen_at.desc()).limit(FLIP_SAMPLE)).all()
            pool = [(row.id, row.title or "", row.text or row.summary or "") for row in rows]
    except DatabaseError:
        pool = []
    if not pool:
        pool = [(None, e.title, e.text) for e in examples]
    old = before.predict([(title, text) for _, title, text in pool], reasons=False)
    new = after.predict([(title, text) for _, title, text in pool], reasons=False)
    flips = [{"item_id": item_id if item_id is not None else index + 1, "title": title,
              "before": a.themes, "after": b.themes}
             for index, ((item_id, title, _), a, b) in enumerate(zip(pool, old, new)) if a.themes != b.themes]
    return flips, len(pool)


def ensure_model(app: Veille, echo: Callable[[str], None] | None = None) -> TrainReport | None:
    """Train a model when none is stored (called by `veille init`); None when one exists."""
    store = store_of(app)
    if store.active_version() is not None:
        with app.db.transaction() as session:
            if active_model(session) is None:  # a fresh database beside an existing model folder
                stored = store.get(store.active_version() or "")
                classifier = store.load(stored.version)
                record_model(session, classifier, str(stored.path), n_examples=stored.meta.get("n_examples", 0),
                             n_labels=stored.meta.get("n_labels", 0), active=True)
        return None
    if echo:
        echo("No theme model yet: training one (ten seconds or so)…")
    return train(app, progress=False)


def new_labels(app: Veille) -> int:
    """Labels stored since the active model was trained."""
    with app.db.reader() as session:
        row = active_model(session)
        return labels_since(session, row.created_at if row else None)


def retrain_tick(app: Veille) -> str:
    """Scheduler job: retrain when enough new labels exist; keep the old model if the new one is worse."""
    count = new_labels(app)
    needed = app.settings.model.retrain_min_labels
    if count < needed:
        return f"{count} new labels (< {needed}): no retraining"
    report = train(app, keep_if_worse=True)
    log.info("retrained the theme model: %s", report.summary().replace("\n", " | "))
    return report.summary().splitlines()[0]


def activate(app: Veille, version: str) -> None:
    store = store_of(app)
    store.activate(version)
    with app.db.transaction() as session:
        activate_model(session, version)


# -- classify and evaluate JSONL --

def classify_stream(model: ThemeClassifier, stream: TextIO | Iterable[str],
                    batch: int = 256) -> Iterator[tuple[int, dict[str, Any] | LineError]]:
    """(line, output record or error) for each line of a JSONL stream, in order."""
    pending: list[tuple[int, Example]] = []

    def flush() -> Iterator[tuple[int, dict[str, Any]]]:
        predictions = model.predict([(example.title, example.text) for _, example in pending])
        for (number, example), prediction in zip(pending, predictions):
            yield number, {**example.extra, "title": example.title, "text": example.text, **prediction.as_dict()}
        pending.clear()

    for number, found in iter_jsonl(stream, labelled=False):
        if isinstance(found, LineError):
            yield from flush()
            yield number, found
            continue
        pending.append((number, found))
        if len(pending) >= batch:
            yield from flush()
    yield from flush()


def evaluate_file(model: ThemeClassifier, path: Path) -> tuple[dict[str, Any], list[LineError]]:
    """The metrics of the model on a labelled JSONL file, and its bad lines."""
    try:
        examples, errors = read_labelled(path)
    except OSError as exc:
        raise ModelJobError(f"cannot read {path}: {exc.strerror}") from None
    predictions = model.predict([(e.title, e.text) for e in examples], reasons=False)
    metrics = evaluate([list(e.themes or ()) for e in examples], [p.themes for p in predictions])
    return metrics, errors
