"""The theme model: tags each item with the working groups' themes, with scores and reasons.

Public API (for the shell, the pipelines runner, the digests and the web app):

- `train(examples, ...)` → `TrainResult`; `ThemeClassifier.predict([(title, text)])` → `Prediction`
- `ModelStore(folder)`: trained versions on disk, the active one, pruning
- `ClassifyStage(model)`: the pipeline stage ``classify``
- `project_examples()`, `read_labelled(path)`, `iter_jsonl(...)`: labelled data
- `evaluate(gold, predicted)`: the metrics of ``veille model eval``; `KeywordBaseline`
- archive functions: `record_model`, `add_label`, `latest_labels`, `effective_themes`,
  `labelled_examples`, `review_queue`
"""

from .archive import (LabelError, ReviewCandidate, activate_model, active_model, add_label, effective_themes,
                      labelled_examples, labels_since, latest_labels, record_model, review_queue, store_scores,
                      uncertainty)
from .baseline import KeywordBaseline
from .classifier import FORMAT, Prediction, ThemeClassifier, TrainOptions, TrainResult, train
from .data import Example, LineError, data_hash, iter_jsonl, parse_record, project_examples, read_labelled
from .lexicon import GROUPS, THEMES, Lexicon, LexiconError
from .metrics import best_threshold, evaluate
from .stage import ClassifyStage
from .store import ModelNotFound, ModelStore, StoredModel, new_version

__all__ = [
    "FORMAT", "GROUPS", "THEMES", "ClassifyStage", "Example", "KeywordBaseline", "LabelError", "Lexicon", "LexiconError", "LineError",
    "ModelNotFound", "ModelStore", "Prediction", "ReviewCandidate", "StoredModel", "ThemeClassifier",
    "TrainOptions", "TrainResult", "activate_model", "active_model", "add_label", "best_threshold", "data_hash",
    "effective_themes", "evaluate", "iter_jsonl", "labelled_examples", "labels_since", "latest_labels",
    "new_version", "parse_record", "project_examples", "read_labelled", "record_model", "review_queue",
    "store_scores", "train", "uncertainty",
]
