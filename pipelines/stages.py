"""The stage contract: take an item, return it, or drop it with a reason.

Two kinds of stage share one contract:

- a `DocumentStage` is a pure function of one `Document` (``process``), or of a list of
  them (``process_many``, e.g. to batch spaCy). It never sees the database, so the runner
  may run it in worker processes (``parallel = True``).
- a `SessionStage` needs the archive (dedupe looks for earlier copies, cluster for the
  stories of the window, classify writes theme scores). The runner calls
  ``process(session, items)`` in its own process, inside the batch's transaction, with the
  `models.Item` rows (already updated by the document stages); it returns the items it
  drops, by id, with their reason. The caller owns the transaction: a stage flushes at
  most, never commits.

A stage that has nothing to do (not configured, no model yet) says so with
``available()`` and a reason, and the runner logs it at start and skips it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from models import Item

    from .document import Document


class Drop(Exception):
    """Raised by a stage to drop an item; ``reason`` is a short key counted per run."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class Stage:
    name: str = "stage"
    parallel: bool = False

    def available(self) -> tuple[bool, str]:
        """Whether the stage can run, and why not."""
        return True, ""

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} {self.name}>"


class DocumentStage(Stage):
    """A pure stage: one document in, the same document out, or `Drop`."""

    parallel = True
    # True when the stage reads nothing a session stage can change (the runner copies back only
    # an item's wire mark and flags from a session stage): the runner may then run it in the
    # workers right after the document stage before it, ahead of the session stages between
    # them, and apply its result (the fields in ``writes``) when its turn comes.
    ahead: bool = False
    writes: tuple[str, ...] = ()  # the Document fields the stage sets

    def process(self, doc: "Document") -> "Document":
        raise NotImplementedError

    def process_many(self, docs: Sequence["Document"]) -> list["Document | Drop"]:
        """Each document, or the `Drop` that removed it; override to batch the work."""
        results: list[Document | Drop] = []
        for doc in docs:
            try:
                results.append(self.process(doc))
            except Drop as drop:
                results.append(drop)
        return results


class SessionStage(Stage):
    """A stage over the archive: items in, the dropped ones out (by item id)."""

    parallel = False

    def process(self, session: "Session", items: Sequence["Item"]) -> Mapping[int, Drop]:
        raise NotImplementedError


def stage_names(stages: Iterable[Stage]) -> list[str]:
    return [stage.name for stage in stages]
