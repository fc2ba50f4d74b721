"""Trained models on disk: one folder per version in the models directory.

```
<data_dir>/models/
    ACTIVE                        the version in use (one line)
    20261127T040512-3fa2c1d9/
        model.pkl                 the fitted ThemeClassifier (pickle; written by us, read by us)
        meta.json                 version, data hash, counts, metrics, thresholds, timings
```

A model is written to a temporary folder and renamed into place, so a crash never leaves
half a model; ACTIVE is replaced atomically the same way. `prune` keeps the newest
versions and always the active one.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .classifier import ThemeClassifier

ACTIVE = "ACTIVE"


class ModelNotFound(LookupError):
    """No trained model where one was expected; the message says what to run."""


@dataclass(frozen=True)
class StoredModel:
    version: str
    path: Path
    meta: dict[str, Any]

    @property
    def created_at(self) -> str:
        return str(self.meta.get("created_at", ""))


def new_version(data_hash: str, now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    return f"{now:%Y%m%dT%H%M%S}-{data_hash[:8]}"


class ModelStore:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def save(self, classifier: ThemeClassifier, meta: dict[str, Any], *, activate: bool) -> StoredModel:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / classifier.version
        if target.exists():
            raise FileExistsError(f"a model version {classifier.version} already exists in {self.folder}")
        staging = Path(tempfile.mkdtemp(prefix=".saving-", dir=self.folder))
        try:
            with (staging / "model.pkl").open("wb") as stream:
                pickle.dump(classifier, stream, protocol=pickle.HIGHEST_PROTOCOL)
            (staging / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2, default=str),
                                               encoding="utf-8")
            staging.rename(target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if activate:
            self.activate(classifier.version)
        return StoredModel(classifier.version, target, meta)

    def activate(self, version: str) -> None:
        if not (self.folder / version / "model.pkl").is_file():
            raise ModelNotFound(f"no model version {version} in {self.folder}")
        handle, temporary = tempfile.mkstemp(prefix=".active-", dir=self.folder)
        with os.fdopen(handle, "w") as stream:
            stream.write(version + "\n")
        os.replace(temporary, self.folder / ACTIVE)

    def active_version(self) -> str | None:
        try:
            version = (self.folder / ACTIVE).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return version if (self.folder / version / "model.pkl").is_file() else None

    def versions(self) -> list[StoredModel]:
        """Every stored model, oldest first."""
        if not self.folder.is_dir():
            return []
        found = []
        for path in sorted(self.folder.iterdir()):
            meta_path = path / "meta.json"
            if path.name.startswith(".") or not meta_path.is_file():
                continue
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                continue
            found.append(StoredModel(path.name, path, meta))
        return sorted(found, key=lambda stored: (stored.created_at, stored.version))

    def get(self, version: str) -> StoredModel:
        for stored in self.versions():
            if stored.version == version:
                return stored
        raise ModelNotFound(f"no model version {version} in {self.folder}")

    def load(self, version: str | None = None) -> ThemeClassifier:
        version = version or self.active_version()
        if version is None:
            raise ModelNotFound(f"no trained theme model in {self.folder}: run `veille model train` "
                                "(or `veille init`, which trains one when none exists)")
        path = self.folder / version / "model.pkl"
        try:
            with path.open("rb") as stream:
                classifier = pickle.load(stream)
        except FileNotFoundError:
            raise ModelNotFound(f"no model version {version} in {self.folder}") from None
        except (pickle.UnpicklingError, AttributeError, ImportError, EOFError) as exc:
            raise ModelNotFound(f"the model {version} in {self.folder} cannot be read ({exc}); "
                                "it was probably trained by another version of veille: "
                                "run `veille model train`") from None
        if not isinstance(classifier, ThemeClassifier):
            raise ModelNotFound(f"{path} does not hold a theme model: run `veille model train`")
        return classifier

    def prune(self, keep: int) -> list[str]:
        """Delete all but the `keep` newest versions (never the active one); the deleted versions."""
        active = self.active_version()
        stored = self.versions()
        doomed = [s for s in stored[:-keep] if s.version != active] if keep > 0 else []
        for model in doomed:
            shutil.rmtree(model.path, ignore_errors=True)
        return [model.version for model in doomed]
