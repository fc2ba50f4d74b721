"""Labelled examples: the project's training files, facilitators' labels, any JSONL to evaluate.

A JSONL record has ``title`` and ``text`` (strings; one of them may be empty) and, when it
is labelled, ``themes`` (a list of theme keys, ``[]`` for none). Other fields are ignored.
A bad line never stops a read: it becomes a `LineError` saying which line and why.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Iterator, TextIO

from .lexicon import THEMES

TRAINING_FILES = ("train_social.jsonl", "train_environment.jsonl", "train_public_space.jsonl",
                  "train_extra.jsonl")


@dataclass(frozen=True)
class Example:
    title: str
    text: str
    themes: tuple[str, ...] | None = None  # None: unlabelled
    origin: str = ""  # file:line, or label:<id>
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class LineError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


def parse_record(record: Any, *, labelled: bool, origin: str = "") -> Example:
    """One decoded JSON value as an example; `ValueError` says what is wrong with it."""
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got {type(record).__name__}")
    title, text = record.get("title"), record.get("text")
    for name, value in (("title", title), ("text", text)):
        if value is not None and not isinstance(value, str):
            raise ValueError(f"`{name}` must be a string, got {type(value).__name__}")
    title, text = (title or "").strip(), (text or "").strip()
    if not title and not text:
        raise ValueError("no `title` and no `text`: nothing to classify")
    themes: tuple[str, ...] | None = None
    if labelled:
        raw = record.get("themes")
        if raw is None:
            raise ValueError("no `themes` (a list of theme keys, [] for none)")
        if not isinstance(raw, list) or not all(isinstance(key, str) for key in raw):
            raise ValueError("`themes` must be a list of theme keys")
        unknown = sorted(set(raw) - set(THEMES))
        if unknown:
            raise ValueError(f"unknown theme {unknown[0]!r} (themes: {', '.join(THEMES)})")
        themes = tuple(sorted(set(raw)))
    ignored = ("title", "text", "themes") if labelled else ("title", "text")
    extra = {key: value for key, value in record.items() if key not in ignored}
    return Example(title, text, themes, origin, extra)


def iter_jsonl(stream: TextIO | Iterable[str], *, labelled: bool,
               name: str = "") -> Iterator[tuple[int, Example | LineError]]:
    """(line number, example or error) for each non-blank line."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, LineError(number, f"not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        try:
            yield number, parse_record(record, labelled=labelled, origin=f"{name}:{number}")
        except ValueError as exc:
            yield number, LineError(number, str(exc))


def read_labelled(path: Path) -> tuple[list[Example], list[LineError]]:
    """A labelled JSONL file; `OSError` if it cannot be read."""
    examples: list[Example] = []
    errors: list[LineError] = []
    with path.open(encoding="utf-8", errors="replace") as stream:
        for _, found in iter_jsonl(stream, labelled=True, name=path.name):
            (errors if isinstance(found, LineError) else examples).append(found)  # type: ignore[arg-type]
    return examples, errors


def project_examples() -> list[Example]:
    """The training data written for the project (package data of pipelines)."""
    folder = resources.files("pipelines").joinpath("data", "themes")
    examples: list[Example] = []
    for name in TRAINING_FILES:
        resource = folder.joinpath(name)
        if not resource.is_file():
            continue
        text = resource.read_text(encoding="utf-8")
        for _, found in iter_jsonl(text.splitlines(), labelled=True, name=name):
            if isinstance(found, LineError):
                raise ValueError(f"pipelines/data/themes/{name}: {found}")
            examples.append(found)
    return examples


def data_hash(examples: Iterable[Example], *parts: str) -> str:
    """sha256 of the examples (title, text, themes, in order) and of extra parts (code, lexicon)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") + b"\0")
    for example in examples:
        digest.update(json.dumps([example.title, example.text, list(example.themes or ())],
                                 ensure_ascii=False).encode("utf-8") + b"\n")
    return digest.hexdigest()
