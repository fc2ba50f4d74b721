"""The search index: one `SearchDoc` row per searchable item, kept by `index_items`.

Why this shape (measured at 1M items, see docs/search.md):

* ``sort_key`` encodes the publication time: ``epoch_seconds << 20 | (item_id & 0xFFFFF)``.
  It is the primary key, the rowid of the SQLite FTS5 table and the order of results by
  date. FTS5 cannot combine MATCH with an index on another column, but it can walk its
  doclists in rowid order and seek to a rowid range: so "newest first" is a LIMIT on the
  FTS5 scan and a date filter is a rowid range, on both databases.
* Every filter (theme, source, outlet type, arrondissement, person/organisation, story) is
  a *tag* token in the same index (``_th_environment``, ``_arr_11`` …): a filtered query is
  one intersection of doclists (SQLite) or one GIN lookup (PostgreSQL), never a join.
* SQLite: ``search_docs`` holds the accent-folded Snowball stems (`models.analysis`) and is
  the external content of the FTS5 table ``search_fts``; triggers keep the two in step, so
  deleting an item (cascade) also removes it from the index.
* PostgreSQL: a stored ``tsv`` tsvector (title weight A, text weight B, tags) built with the
  ``french_unaccent`` configuration, with a GIN index (fastupdate on).
"""

from __future__ import annotations

import re
from functools import lru_cache
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, delete, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from .analysis import bigrams, fold, stems
from .base import Base
from .items import Entity, Item, ItemPlace, ItemState
from .sources import Source
from .themes import Label, ThemeScore

PARIS = ZoneInfo("Europe/Paris")
KEY_SHIFT = 20
KEY_MASK = (1 << KEY_SHIFT) - 1
FTS_TABLE = "search_fts"
ALL_TAG = "_all"
NO_THEME = "none"
ENTITY_LABELS = ("PER", "ORG")

# The FTS5 table and the triggers that keep it in step with search_docs. The migration
# 0007_search holds a frozen copy of these statements; `rebuild_index` re-creates them.
SQLITE_FTS_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(title, body, tags, "
    "content='search_docs', content_rowid='sort_key', tokenize=\"unicode61 tokenchars '_'\")",
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts_vocab USING fts5vocab(search_fts, 'row')",
    "CREATE TRIGGER IF NOT EXISTS search_docs_ai AFTER INSERT ON search_docs BEGIN "
    "INSERT INTO search_fts(rowid, title, body, tags) VALUES (new.sort_key, new.title, new.body, new.tags); END",
    "CREATE TRIGGER IF NOT EXISTS search_docs_ad AFTER DELETE ON search_docs BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body, tags) "
    "VALUES ('delete', old.sort_key, old.title, old.body, old.tags); END",
    "CREATE TRIGGER IF NOT EXISTS search_docs_au AFTER UPDATE ON search_docs BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body, tags) "
    "VALUES ('delete', old.sort_key, old.title, old.body, old.tags); "
    "INSERT INTO search_fts(rowid, title, body, tags) VALUES (new.sort_key, new.title, new.body, new.tags); END",
)
SQLITE_FTS_DROP = (
    "DROP TRIGGER IF EXISTS search_docs_ai", "DROP TRIGGER IF EXISTS search_docs_ad",
    "DROP TRIGGER IF EXISTS search_docs_au", "DROP TABLE IF EXISTS search_fts_vocab",
    "DROP TABLE IF EXISTS search_fts",
)
PG_GIN = "CREATE INDEX ix_search_docs_tsv ON search_docs USING gin (tsv) WITH (fastupdate = on)"
PG_TSV = ("setweight(to_tsvector('french_unaccent', coalesce(:title, '')), 'A') || "
          "setweight(to_tsvector('french_unaccent', coalesce(:body, '')), 'B') || "
          "array_to_tsvector(string_to_array(:lexemes, ' '))")


class SearchDoc(Base):
    """An item as the search sees it. On SQLite ``title``/``body`` hold stems (the FTS5
    external content); on PostgreSQL they stay empty and the ``tsv`` column (created by the
    migration, outside the ORM) holds the indexed text."""

    __tablename__ = "search_docs"
    # The covering index holds every column a search reads besides the text, so the lookups
    # of a result page, its facets and the charts never touch the wide rows (measured: the
    # arrondissement map of a common word at 100k items went from 127 ms to XX ms on SQLite).
    __table_args__ = (Index("ix_search_docs_week", "week"),
                      Index("ix_search_docs_keys", "sort_key", "item_id", "week", "themes", "places", "tags"))

    sort_key: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
                                          autoincrement=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), unique=True)
    week: Mapped[int] = mapped_column(Integer)  # ISO year * 100 + ISO week, in Paris time
    themes: Mapped[str] = mapped_column(String(200), default="")  # space-separated theme keys, or "none"
    places: Mapped[str] = mapped_column(String(100), default="")  # space-separated arrondissements
    tags: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)


def schema_filter(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """For Alembic's ``include_name``: the objects the search keeps outside the ORM (the
    FTS5 table and its shadow tables on SQLite, ``tsv`` and its GIN index on PostgreSQL)."""
    if type_ == "table" and name and name.startswith(FTS_TABLE):
        return False
    if type_ == "column" and name == "tsv" and parent_names.get("table_name") == "search_docs":
        return False
    if type_ == "index" and name == "ix_search_docs_tsv":
        return False
    return True


def key_bounds(start: datetime | None, end: datetime | None) -> tuple[int, int]:
    """The sort_key range of items published in [start, end) (None: unbounded)."""
    lo = _epoch(start) << KEY_SHIFT if start is not None else 0
    hi = (_epoch(end) << KEY_SHIFT) - 1 if end is not None else (1 << 62)
    return lo, hi


def day_start(day: date) -> datetime:
    """Midnight in Paris of ``day``, as an aware datetime."""
    return datetime.combine(day, time(0), PARIS)


def key_time(sort_key: int) -> datetime:
    return datetime.fromtimestamp(sort_key >> KEY_SHIFT, timezone.utc)


def iso_week(moment: datetime) -> int:
    year, week, _ = moment.astimezone(PARIS).isocalendar()
    return year * 100 + week


def week_label(week: int) -> str:
    return f"{week // 100}-W{week % 100:02d}"


@lru_cache(maxsize=100_000)
def tag_token(kind: str, value: object) -> str:
    """A filter tag as indexed: only [a-z0-9_], never a word a person can type."""
    clean = re.sub(r"[^0-9a-z]+", "_", fold(str(value))).strip("_") or "x"
    return f"_{kind}_{clean}"


def entity_value(norm: str) -> str:
    return tag_token("ent", norm)[len("_ent_"):]


def _epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: give an aware time")
    return max(0, int(moment.timestamp()))


ITEM_COLUMNS = (Item.id, Item.state, Item.title, Item.text, Item.summary, Item.description, Item.published_at,
                Item.first_seen_at, Item.source_id, Item.story_id)


def _indexable(item: Any) -> bool:
    return item.state not in (ItemState.dropped.value, ItemState.discovered.value) and bool(
        item.title or item.text or item.summary)


def document_rows(session: Session, items: Sequence[Any]) -> list[dict[str, Any]]:
    """The search_docs rows of items (rows of `ITEM_COLUMNS`): themes, places, entities and
    tags gathered in four queries per batch."""
    items = [item for item in items if _indexable(item)]
    ids = [item.id for item in items]
    if not ids:
        return []
    themes = item_themes(session, ids)
    places: dict[int, set[int]] = {}
    for item_id, arrondissement in session.execute(
            select(ItemPlace.item_id, ItemPlace.arrondissement).where(ItemPlace.item_id.in_(ids))):
        places.setdefault(item_id, set()).add(arrondissement)
    entities: dict[int, set[str]] = {}
    # The label is checked here: with it in the condition, SQLite (no statistics) scanned the
    # label index over every entity of the archive (seconds a batch at 1M items).
    for item_id, label, norm in session.execute(
            select(Entity.item_id, Entity.label, Entity.norm).where(Entity.item_id.in_(ids))):
        if label in ENTITY_LABELS:
            entities.setdefault(item_id, set()).add(norm)
    outlet = {i: o for i, o in session.execute(select(Source.id, Source.outlet_type).where(
        Source.id.in_({item.source_id for item in items})))}
    rows = []
    for item in items:
        item_themes_ = themes.get(item.id) or [NO_THEME]
        arrs = sorted(places.get(item.id, ()))
        tags = [ALL_TAG, *(tag_token("th", t) for t in item_themes_), tag_token("src", item.source_id),
                tag_token("ot", outlet.get(item.source_id, "")), *(tag_token("arr", a) for a in arrs),
                *sorted({tag_token("ent", e) for e in entities.get(item.id, ())})]
        if item.story_id is not None:
            tags.append(tag_token("story", item.story_id))
        moment = item.published_at or item.first_seen_at
        rows.append({
            "item_id": item.id, "sort_key": (_epoch(moment) << KEY_SHIFT) | (item.id & KEY_MASK),
            "week": iso_week(moment), "themes": " ".join(item_themes_), "places": " ".join(map(str, arrs)),
            "tags": " ".join(tags), "raw_title": item.title or "",
            "raw_body": item.text or item.summary or item.description or "",
        })
    return rows


def item_themes(session: Session, ids: Iterable[int]) -> dict[int, list[str]]:
    """Themes of items: a facilitator's latest label if any, else the model's assigned themes."""
    ids = list(ids)
    result: dict[int, list[str]] = {}
    for item_id, theme in session.execute(select(ThemeScore.item_id, ThemeScore.theme).where(
            ThemeScore.item_id.in_(ids), ThemeScore.assigned.is_(True))):
        result.setdefault(item_id, []).append(theme)
    latest: dict[int, tuple[datetime, int, list[str]]] = {}
    for item_id, created_at, label_id, label_themes in session.execute(
            select(Label.item_id, Label.created_at, Label.id, Label.themes).where(Label.item_id.in_(ids))):
        if item_id not in latest or (created_at, label_id) > latest[item_id][:2]:
            latest[item_id] = (created_at, label_id, list(label_themes or []))
    for item_id, (_, _, label_themes) in latest.items():
        result[item_id] = list(label_themes)
    return {k: sorted(set(v)) for k, v in result.items()}


def write_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert search_docs rows (computing stems on SQLite, the tsvector on PostgreSQL).
    Sort keys are made unique against the table and each other first."""
    if not rows:
        return
    _unique_keys(session, rows)
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text(
            "INSERT INTO search_docs (sort_key, item_id, week, themes, places, tags, title, body) "
            "VALUES (:sort_key, :item_id, :week, :themes, :places, :tags, :title, :body)"),
            [{**row, "title": stems(row["raw_title"]), "body": stems(row["raw_body"])} for row in rows])
    else:
        session.execute(text(
            "INSERT INTO search_docs (sort_key, item_id, week, themes, places, tags, tsv) "
            f"VALUES (:sort_key, :item_id, :week, :themes, :places, :tags, {PG_TSV})"),
            [{**row, "title": row["raw_title"], "body": row["raw_body"],
              "lexemes": " ".join([row["tags"], *sorted(bigrams(row["raw_title"]) | bigrams(row["raw_body"]))])}
             for row in rows])


def _unique_keys(session: Session, rows: list[dict[str, Any]]) -> None:
    # Two items published in the same second whose ids agree modulo 2**20: nudge one key.
    wanted = [row["sort_key"] for row in rows]
    taken: set[int] = set()
    for chunk in _chunks(wanted, 500):
        taken.update(session.scalars(select(SearchDoc.sort_key).where(SearchDoc.sort_key.in_(chunk))))
    for row in rows:
        while row["sort_key"] in taken:
            row["sort_key"] += 1
        taken.add(row["sort_key"])


def _chunks(values: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def unindex(session: Session, item_ids: Sequence[int]) -> None:
    for chunk in _chunks(list(item_ids), 500):
        session.execute(delete(SearchDoc).where(SearchDoc.item_id.in_(chunk)))


def index_items(session: Session, item_ids: Iterable[int]) -> int:
    """(Re)index these items: processed items enter the index, dropped ones leave it.
    Call it after an item is processed, relabelled, merged into a story or deleted.
    The caller owns the transaction. Returns the number of items now indexed."""
    ids = sorted(set(item_ids))
    indexed = 0
    for chunk in _chunks(ids, 500):
        unindex(session, chunk)
        rows = document_rows(session, session.execute(select(*ITEM_COLUMNS).where(Item.id.in_(chunk))).all())
        write_rows(session, rows)
        indexed += len(rows)
    session.flush()
    return indexed


def rebuild_index(session: Session, *, batch: int = 2000, progress: Any = None) -> int:
    """Empty the index and index every searchable item again (``veille search --reindex``).
    On SQLite the FTS5 table is rebuilt in one pass from search_docs, then optimised.
    ``progress(done, total)`` is called after each batch. Returns the number indexed."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_FTS_DROP:
            session.execute(text(statement))
        session.execute(delete(SearchDoc))
    else:  # building the GIN index once at the end is several times faster than row by row
        session.execute(text("TRUNCATE search_docs"))
        session.execute(text("DROP INDEX IF EXISTS ix_search_docs_tsv"))
    total = session.scalar(select(Item.id).order_by(Item.id.desc()).limit(1)) or 0
    done = 0
    last = 0
    while True:
        items = session.execute(select(*ITEM_COLUMNS).where(Item.id > last).order_by(Item.id).limit(batch)).all()
        if not items:
            break
        last = items[-1].id
        rows = document_rows(session, items)
        write_rows(session, rows)
        done += len(rows)
        if progress is not None:
            progress(last, total)
    if dialect == "sqlite":
        for statement in SQLITE_FTS_DDL:
            session.execute(text(statement))
        session.execute(text("INSERT INTO search_fts(search_fts) VALUES ('rebuild')"))
        session.execute(text("INSERT INTO search_fts(search_fts) VALUES ('optimize')"))
    else:
        session.execute(text(PG_GIN))
    session.flush()
    return done


def week_after(week: int) -> int:
    year, number = divmod(week, 100)
    monday = date.fromisocalendar(year, number, 1) + timedelta(days=7)
    y, w, _ = monday.isocalendar()
    return y * 100 + w
