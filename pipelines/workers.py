"""What the runner's worker processes run: one document stage, or a chain of them on a new batch.

The functions are at module level so they pickle into ``spawn`` workers. A chain's later
stages run *ahead* of the session stages before them (``Stage.ahead``); their results travel
back as `Ahead` records and are applied at the stage's own turn (`apply_early`), so the item
states, counters and resume points stay those of a run stage by stage.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields as dataclass_fields, replace
from typing import Any

from .document import Document
from .stages import DocumentStage, Drop

__all__ = ["Ahead", "apply_early", "light", "run_chain", "run_stage", "without"]


def run_stage(stage: DocumentStage, docs: list[Document]) -> list[Document | Drop]:
    """A document stage on a chunk, in a worker process (module level, so it pickles)."""
    return [light(result) for result in stage.process_many(docs)]


def run_chain(stages: list[DocumentStage], docs: list[Document]) -> list[tuple[Document, int, Drop | None]]:
    """Document stages one after the other on a chunk, in a worker process.

    Per document: the document as the last stage left it, the index of the stage that dropped
    it (``len(stages)`` if none did) and the Drop.
    """
    outcomes: list[tuple[Document, int, Drop | None]] = [(doc, len(stages), None) for doc in docs]
    alive = list(range(len(docs)))
    for n, stage in enumerate(stages):
        results = stage.process_many([outcomes[i][0] for i in alive])
        survivors = []
        for i, result in zip(alive, results):
            if isinstance(result, Drop):
                outcomes[i] = (outcomes[i][0], n, result)
            else:
                outcomes[i] = (result, len(stages), None)
                survivors.append(i)
        alive = survivors
    return [(light(doc), n, drop) for doc, n, drop in outcomes]


def light(result: Any) -> Any:
    """A worker's document without its page: nothing after extraction reads it, and it was
    most of what travelled back to the main process."""
    if isinstance(result, Document):
        result.html = None
    return result


@dataclass
class Ahead:
    """What a document stage that ran ahead set (its ``writes`` fields), to apply at its turn."""

    doc: Document
    fields: tuple[str, ...]


def without(doc: Document, fields: list[str]) -> Document:
    """A copy of ``doc`` with ``fields`` back to their defaults (a later stage's output, not yet due)."""
    defaults: dict[str, Any] = {}
    for spec in dataclass_fields(doc):
        if spec.name in fields:
            defaults[spec.name] = spec.default_factory() if spec.default is MISSING else spec.default  # type: ignore[misc]
    return replace(doc, **defaults) if defaults else doc


def apply_early(doc: Document, early: Any) -> Document | Drop:
    if isinstance(early, Ahead):
        for name in early.fields:
            setattr(doc, name, getattr(early.doc, name))
        doc.flags = list(doc.flags) + [flag for flag in early.doc.flags if flag not in doc.flags]
        return doc
    return early
