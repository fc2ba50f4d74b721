"""Dedupe: exact copies (content hash), near-copies (MinHash on word shingles) and wire dispatches.

Copies are marked, never deleted: ``duplicate_of`` points to the original (the earliest
published), ``duplicate_kind`` is ``exact``, ``near`` or ``wire`` (a near-copy where one side
is signed by a wire agency), and coverage still counts them. Same canonical URL is handled
before us: the crawler stores one item per canonical URL.

Near-copies: Jaccard similarity of 5-word shingles, estimated with 128-permutation MinHash
and found through an LSH index, within a time window (72 h by default). The threshold was
tuned on the demo corpus's wire copies: at 0.5 all 8 copies are found and nothing else.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

from sqlalchemy import select, update

from .stages import Drop, SessionStage

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from models import Item

__all__ = ["Copy", "DedupeOptions", "DedupeStage", "DuplicateIndex", "Record", "find_copies", "shingles", "wire_agency"]

SHINGLE = 5
NUM_PERM = 128
# Items past dedupe: the archive's originals a new item may copy.
INDEXED_STATES = frozenset({"deduped", "enriched", "classified", "clustered", "done"})


@dataclass(frozen=True)
class DedupeOptions:
    threshold: float = 0.5
    window_hours: int = 72
    agencies: tuple[str, ...] = ("AFP", "Reuters", "AP", "APP")
    num_perm: int = NUM_PERM
    min_shingles: int = 8  # texts shorter than this (a few words) are never near-copies


@dataclass
class Record:
    """What dedupe needs of an item."""

    id: int
    published_at: datetime
    text: str
    content_hash: str | None = None
    is_wire: bool = False


@dataclass(frozen=True)
class Copy:
    original: int
    kind: str  # exact | near | wire
    similarity: float


_WORDS = re.compile(r"[^\W_]+")


def _fast_fold(text: str) -> list[str]:
    """Words of a text, lower case and without accents (vectorised by the C regex engine)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return _WORDS.findall(decomposed.encode("ascii", "ignore").decode("ascii"))


def shingles(text: str, size: int = SHINGLE) -> set[bytes]:
    words = _fast_fold(text)
    if len(words) < size:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i:i + size]).encode() for i in range(len(words) - size + 1)}


def wire_agency(text: str | None, author: str | None, agencies: Sequence[str]) -> str | None:
    """The agency whose signature the item carries (« (AFP) », « avec AFP », by-line), or None."""
    for agency in agencies:
        name = re.escape(agency)
        signature = re.compile(rf"\(\s*(?:avec\s+|source\s*:\s*)?{name}(?:\s*/[^)]*)?\s*\)|\bavec\s+{name}\b"
                               rf"|(?:^|\n)\s*{name}\s*[-–—]\s|\b{name}\s*$")
        if author and re.search(rf"(?:^|[\s,;/(]){name}(?:$|[\s,;/)])", author):
            return agency
        if text and (signature.search(text[:400]) or signature.search(text[-400:])):
            return agency
    return None


class DuplicateIndex:
    """MinHash LSH over the items of a sliding window; finds the earlier item a text copies."""

    def __init__(self, options: DedupeOptions = DedupeOptions()) -> None:
        from datasketch import MinHash, MinHashLSH

        self.options = options
        self._minhash = MinHash
        self._permutations = MinHash(num_perm=options.num_perm).permutations  # computed once, shared
        self.lsh = MinHashLSH(threshold=options.threshold, num_perm=options.num_perm)
        self.signatures: dict[int, object] = {}
        self.published: dict[int, datetime] = {}

    def signature(self, text: str) -> object | None:
        grams = shingles(text)
        if len(grams) < self.options.min_shingles:
            return None
        signature = self._minhash(num_perm=self.options.num_perm, permutations=self._permutations)
        signature.update_batch(list(grams))
        return signature

    def __contains__(self, key: int) -> bool:
        return key in self.signatures

    def add(self, key: int, published_at: datetime, text: str, signature: object | None = None) -> None:
        signature = signature if signature is not None else self.signature(text)
        if signature is None or key in self.signatures:
            return
        self.lsh.insert(key, signature)
        self.signatures[key] = signature
        self.published[key] = published_at

    def forget(self, key: int) -> None:
        if key in self.signatures:
            self.lsh.remove(key)
            del self.signatures[key], self.published[key]

    def forget_before(self, moment: datetime) -> None:
        for key in [k for k, when in self.published.items() if when < moment]:
            self.lsh.remove(key)
            del self.signatures[key], self.published[key]

    def similar(self, text: str, published_at: datetime,
                signature: object | None = None) -> list[tuple[int, float]]:
        """Indexed items within the window whose estimated Jaccard reaches the threshold, best first."""
        signature = signature if signature is not None else self.signature(text)
        if signature is None:
            return []
        window = timedelta(hours=self.options.window_hours)
        found = []
        for key in self.lsh.query(signature):
            if abs(self.published[key] - published_at) > window:
                continue
            similarity = float(signature.jaccard(self.signatures[key]))
            if similarity >= self.options.threshold:
                found.append((key, similarity))
        return sorted(found, key=lambda pair: (-pair[1], pair[0]))


def find_copies(records: Iterable[Record], options: DedupeOptions = DedupeOptions(),
                known: Mapping[int, Copy] | None = None) -> dict[int, Copy]:
    """Which records copy an earlier one: {copy id: Copy(original, kind, similarity)}.

    Records are taken in publication order, so the original is always the earliest; a copy
    of a copy points to the first original. The index only keeps the window.
    """
    ordered = sorted(records, key=lambda r: (r.published_at, r.id))
    index = DuplicateIndex(options)
    by_hash: dict[str, int] = {}
    wire = {r.id: r.is_wire for r in ordered}
    copies: dict[int, Copy] = dict(known or {})
    window = timedelta(hours=options.window_hours)
    last_sweep = None
    for record in ordered:
        if last_sweep is None or record.published_at - last_sweep > window / 4:
            index.forget_before(record.published_at - window)
            last_sweep = record.published_at
        if record.content_hash and record.content_hash in by_hash:
            original = by_hash[record.content_hash]
            copies[record.id] = Copy(_root(copies, original), "exact", 1.0)
            continue
        signature = index.signature(record.text)
        matches = index.similar(record.text, record.published_at, signature)
        if matches:
            original, similarity = matches[0]
            root = _root(copies, original)
            kind = "wire" if wire.get(root) or record.is_wire else "near"
            copies[record.id] = Copy(root, kind, round(similarity, 3))
        else:
            index.add(record.id, record.published_at, record.text, signature)
        if record.content_hash:
            by_hash.setdefault(record.content_hash, record.id)
    return copies


def _root(copies: Mapping[int, Copy], key: int) -> int:
    seen = set()
    while key in copies and key not in seen:
        seen.add(key)
        key = copies[key].original
    return key



class DedupeStage(SessionStage):
    """Marks exact copies, near-copies and wire dispatches among the archive's items."""

    name = "dedupe"

    def __init__(self, options: DedupeOptions = DedupeOptions()) -> None:
        self.options = options
        self.index: DuplicateIndex | None = None
        self.loaded: tuple[datetime, datetime] | None = None  # span of the archive already indexed

    def process(self, session: "Session", items: Sequence["Item"]) -> Mapping[int, Drop]:
        if self.index is None:
            self.index = DuplicateIndex(self.options)
        same_hash = self._same_hash(session, items)
        batch = {item.id: item for item in items}
        for item in sorted(items, key=lambda i: (i.published_at or i.first_seen_at, i.id)):
            agency = wire_agency(item.text, item.author, self.options.agencies)
            item.is_wire = agency is not None
            if agency:
                item.flags = sorted(set(item.flags or []) | {f"wire:{agency}"})
            if self._exact(session, item, same_hash.get(item.content_hash or "", []), batch):
                continue
            self._near(session, item)
        session.flush()
        return {}

    def _same_hash(self, session: "Session", items: Sequence["Item"]) -> dict[str, list[tuple]]:
        """The archive's items (not dropped) sharing a content hash with the batch's: one query a batch."""
        from models import Item

        hashes = sorted({item.content_hash for item in items if item.content_hash})
        found: dict[str, list[tuple]] = {}
        for start in range(0, len(hashes), 500):
            for row in session.execute(select(Item.content_hash, Item.published_at, Item.id, Item.duplicate_of_id)
                                       .where(Item.content_hash.in_(hashes[start:start + 500]),
                                              Item.state != "dropped")):
                found.setdefault(row.content_hash, []).append((row.published_at, row.id, row.duplicate_of_id))
        return found

    def _exact(self, session: "Session", item: "Item", same_hash: list[tuple], batch: Mapping[int, "Item"]) -> bool:
        """Marks ``item`` as an exact copy of the earliest other item with its content hash, if earlier."""
        if not item.content_hash:
            return False
        others = [(published_at, other_id, duplicate_of) for published_at, other_id, duplicate_of in same_hash
                  if other_id != item.id]
        if not others:
            return False
        published_at, other_id, duplicate_of = min(others, key=lambda row: (row[0], row[1]))
        if (published_at, other_id) > (item.published_at, item.id):
            return False
        if other_id in batch:  # marked a moment ago in this loop
            duplicate_of = batch[other_id].duplicate_of_id
        else:  # a near-copy of this batch may have re-pointed it since the batch's query
            from models import Item

            duplicate_of = session.scalar(select(Item.duplicate_of_id).where(Item.id == other_id))
        item.duplicate_of_id = duplicate_of or other_id
        item.duplicate_kind = "exact"
        return True

    def _near(self, session: "Session", item: "Item") -> None:
        index = self.index
        assert index is not None
        when = item.published_at or item.first_seen_at
        self._load(session, when)
        signature = index.signature(item.text or "")
        matches = [(key, sim) for key, sim in index.similar(item.text or "", when, signature) if key != item.id]
        if not matches:
            index.add(item.id, when, item.text or "", signature)
            return
        original_id, similarity = matches[0]
        original = session.get(type(item), original_id)
        if original is None:
            return
        if (original.published_at, original.id) > (when, item.id):
            # The copy was processed first: the earlier item becomes the original.
            self._mark(original, item, similarity)
            session.execute(update(type(item)).where(type(item).duplicate_of_id == original.id)
                            .values(duplicate_of_id=item.id))
            index.forget(original.id)
            index.add(item.id, when, item.text or "", signature)
        else:
            self._mark(item, original, similarity)

    def _mark(self, copy: "Item", original: "Item", similarity: float) -> None:
        copy.duplicate_of_id = original.duplicate_of_id or original.id
        copy.duplicate_kind = "wire" if copy.is_wire or original.is_wire else "near"
        copy.flags = sorted(set(copy.flags or []) | {f"copy:{similarity:.2f}"})

    def _load(self, session: "Session", when: datetime) -> None:
        """Index the archive's originals within the window around ``when`` (once per span)."""
        from models import Item

        window = timedelta(hours=self.options.window_hours)
        low, high = when - window, when + window
        spans = []
        if self.loaded is None:
            spans.append((low, high))
            self.loaded = (low, high)
        else:
            if low < self.loaded[0]:
                spans.append((low, self.loaded[0]))
            if high > self.loaded[1]:
                spans.append((self.loaded[1], high))
            self.loaded = (min(low, self.loaded[0]), max(high, self.loaded[1]))
        assert self.index is not None
        for start, end in spans:
            # The state is checked here, not in SQL: with it in the condition, SQLite walked the
            # state index over every done item of the archive (31 ms a query at 100k items, growing
            # with the archive) instead of the published_at index over the window.
            rows = session.execute(
                select(Item.id, Item.published_at, Item.text, Item.state)
                .where(Item.published_at >= start, Item.published_at <= end, Item.duplicate_of_id.is_(None),
                       Item.text.is_not(None))).all()
            for item_id, published_at, text, state in rows:
                if state in INDEXED_STATES and item_id not in self.index:
                    self.index.add(item_id, published_at, text)
