"""Archive search: one function over SQLite FTS5 and PostgreSQL tsvector.

The query language is parsed by `models.query`; the index is kept by `models.searchindex`.
This module compiles a request to the dialect's SQL and shapes the answer. The design for
speed at a million items (docs/search.md has the figures):

* Results come newest first straight from the index walk (``ORDER BY sort_key DESC
  LIMIT n``), never from sorting the whole match set.
* Relevance ranks the newest ``RELEVANCE_WINDOW`` matches (bm25 on SQLite, ts_rank on
  PostgreSQL); a query with fewer matches is ranked exactly. Later pages continue by date.
* Totals are exact up to ``COUNT_CAP`` (and for a single word or tag without date bounds
  on SQLite, from the FTS5 vocabulary); above it ``total_exact`` is False ("plus de 10 000").
* Facets are counted on the newest ``FACET_SAMPLE`` matches (exact when there are fewer;
  ``facets_sample`` says how many items they cover).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Iterator, Sequence

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from .analysis import bigrams, fold, highlight, is_stopword, snippet, words
from .items import Entity, Item
from .query import And, Node, Not, Or, Phrase, QueryError, Term, only_negative, parse
from .searchindex import (ALL_TAG, FTS_TABLE, NO_THEME, SearchDoc, day_start, index_items,
                          key_bounds, key_time, rebuild_index, tag_token, week_after, week_label)
from .sources import Source

__all__ = [
    "COUNT_CAP", "FACET_SAMPLE", "QueryError", "RELEVANCE_WINDOW", "SearchDoc", "SearchHit", "SearchPage",
    "SearchRequest", "arrondissement_counts", "coverage", "index_items", "iter_hits", "rebuild_index", "search",
]

log = logging.getLogger(__name__)

RELEVANCE_WINDOW = 1000
FACET_SAMPLE = 1000
COUNT_CAP = 10_000
PG_EXACT_LIMIT = 5_000
MAX_PAGE_SIZE = 200
FACET_TOP = 20
OUTLET_LABELS = {"national": "Presse nationale", "regional": "Presse régionale", "local": "Presse locale",
                 "institutional": "Institutionnel", "independent": "Indépendant"}
THEME_LABELS = {"social_education": "Social – Éducation", "environment": "Environnement",
                "public_space": "Espace public", NO_THEME: "Sans thème"}
SQLITE_WEIGHTS = "10.0, 1.0, 0.0"  # bm25 weights of title, body, tags


@dataclass
class SearchRequest:
    q: str = ""
    themes: list[str] = field(default_factory=list)
    sources: list[int] = field(default_factory=list)  # source ids
    outlet_types: list[str] = field(default_factory=list)
    date_from: date | None = None  # inclusive, Paris days
    date_to: date | None = None  # inclusive
    arrondissements: list[int] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)  # facet values (normalised names)
    story_id: int | None = None
    sort: str = "relevance"  # relevance | date
    page: int = 1
    page_size: int = 20


@dataclass
class SearchHit:
    item_id: int
    title: str
    url: str
    source: str
    outlet_type: str
    published_at: datetime | None
    snippet_html: str
    score: float
    themes: list[str]
    title_html: str = ""
    source_id: int | None = None
    story_id: int | None = None


@dataclass
class SearchPage:
    total: int
    hits: list[SearchHit]
    facets: dict[str, list[tuple[Any, str, int]]]
    total_exact: bool = True
    total_kind: str = "exact"  # exact | at_least ("plus de 10 000") | about (an estimate)
    facets_sample: int = 0  # how many of the newest matches the facets were counted on
    page: int = 1
    page_size: int = 20
    sort: str = "relevance"
    query: str = ""

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def total_text(self) -> str:
        """The total as a member reads it: « 1 234 résultats », « plus de 10 000 résultats »."""
        number = f"{self.total:,}".replace(",", "\u202f")
        noun = "résultat" if self.total == 1 else "résultats"
        prefix = {"at_least": "plus de ", "about": "environ "}.get(self.total_kind, "")
        return f"{prefix}{number} {noun}"


# -- compiling a request ---------------------------------------------------------------------

@dataclass
class _Plan:
    dialect: str
    node: Node | None
    lo: int
    hi: int
    tag_groups: list[list[str]]  # AND of ORs
    match: str | None = None  # SQLite FTS5 expression
    tsquery: str | None = None  # PostgreSQL SQL expression (with params)
    params: dict[str, Any] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)  # stems to highlight
    prefixes: tuple[str, ...] = ()
    single_term: str | None = None  # an FTS5 token whose vocabulary count is the total
    estimate: int | None = None  # PostgreSQL: the planner's estimate of the matches
    estimate_tsquery: str | None = None  # PostgreSQL: the same query with phrases as their pairs
    rechecks: bool = False  # PostgreSQL: phrases, prefixes or title: each match reads its row
    bitmap: bool = False  # PostgreSQL: candidates read through the GIN bitmap, not the key order

    @property
    def everything(self) -> bool:
        return self.match is None and self.tsquery is None


def _validate(request: SearchRequest) -> None:
    if request.sort not in ("relevance", "date"):
        raise QueryError(f"Tri inconnu « {request.sort} » : choisissez relevance ou date.", 0)
    if request.page < 1 or request.page_size < 1 or request.page_size > MAX_PAGE_SIZE:
        raise QueryError(f"Page invalide : la page commence à 1 et compte au plus {MAX_PAGE_SIZE} résultats.", 0)
    if request.date_from and request.date_to and request.date_from > request.date_to:
        raise QueryError("La date de début est après la date de fin.", 0)
    for arrondissement in request.arrondissements:
        if not 1 <= int(arrondissement) <= 20:
            raise QueryError(f"Arrondissement inconnu : {arrondissement} (de 1 à 20).", 0)


def _plan(session: Session, request: SearchRequest) -> _Plan:
    _validate(request)
    node = parse(request.q or "")
    dialect = session.get_bind().dialect.name
    start = day_start(request.date_from) if request.date_from else None
    end = day_start(request.date_to + timedelta(days=1)) if request.date_to else None
    lo, hi = key_bounds(start, end)
    groups = [[tag_token("th", t) for t in request.themes], [tag_token("src", s) for s in request.sources],
              [tag_token("ot", o) for o in request.outlet_types],
              [tag_token("arr", int(a)) for a in request.arrondissements],
              [tag_token("ent", e) for e in request.entities]]
    if request.story_id is not None:
        groups.append([tag_token("story", request.story_id)])
    plan = _Plan(dialect, node, lo, hi, [sorted(set(g)) for g in groups if g])
    if dialect == "postgresql":
        # psycopg prepares a statement run 5 times; its generic plan cannot see how common a
        # word is and sorts every match (90 ms instead of 3 ms for a common word at 100k).
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    _collect_keys(node, plan, negated=False)
    compiler = _SqliteCompiler(session, plan) if dialect == "sqlite" else _PostgresCompiler(session, plan)
    compiler.compile()
    return plan


def _collect_keys(node: Node | None, plan: _Plan, negated: bool) -> None:
    if node is None:
        return
    if isinstance(node, Not):
        _collect_keys(node.child, plan, not negated)
    elif isinstance(node, (And, Or)):
        for child in node.children:
            _collect_keys(child, plan, negated)
    elif not negated and node.field != "source":
        if isinstance(node, Term) and node.prefix:
            plan.prefixes += (node.stems[-1],)
        else:  # common words of a phrase ("de") are not worth marking everywhere
            plan.keys.update([s for w, s in zip(node.words, node.stems) if not is_stopword(w)] or node.stems)


def _source_ids(session: Session, term: Term | Phrase) -> list[int]:
    """Sources whose name holds every word of the term (a prefix for the last one if asked)."""
    wanted = [fold(w) for w in term.words]
    prefix = isinstance(term, Term) and term.prefix
    found = []
    for source_id, name in session.execute(select(Source.id, Source.name)):
        name_words = [fold(w) for w in words(name)]
        ok = all(w in name_words for w in wanted[:-1]) and (
            any(n.startswith(wanted[-1]) for n in name_words) if prefix else wanted[-1] in name_words)
        if ok:
            found.append(source_id)
    return found


class _SqliteCompiler:
    """To an FTS5 MATCH expression: stems quoted (so nothing typed is FTS5 syntax), words
    restricted to the title and body columns, filters as tags."""

    def __init__(self, session: Session, plan: _Plan) -> None:
        self.session = session
        self.plan = plan

    def compile(self) -> None:
        parts = []
        node = self.plan.node
        if node is not None:
            parts.append(self.expr(node))
        for group in self.plan.tag_groups:
            parts.append("tags : (" + " OR ".join(f'"{t}"' for t in group) + ")")
        if not parts:
            return
        self.plan.match = " AND ".join(parts)
        if node is not None and isinstance(node, Term) and not node.prefix and node.field is None \
                and len(node.words) == 1 and not self.plan.tag_groups:
            self.plan.single_term = node.stems[0]
        elif node is None and len(self.plan.tag_groups) == 1 and len(self.plan.tag_groups[0]) == 1:
            self.plan.single_term = self.plan.tag_groups[0][0]

    def expr(self, node: Node) -> str:
        if isinstance(node, Term) and node.field == "source" or isinstance(node, Phrase) and node.field == "source":
            ids = _source_ids(self.session, node)
            tags = [tag_token("src", i) for i in ids] or ["_none_"]
            return "tags : (" + " OR ".join(f'"{t}"' for t in tags) + ")"
        if isinstance(node, (Term, Phrase)):
            column = "title" if node.field == "title" else "{title body}"
            star = " *" if isinstance(node, Term) and node.prefix else ""
            return f'{column} : ("{" ".join(node.stems)}"{star})'
        if isinstance(node, Not):
            return f'(tags : "{ALL_TAG}" NOT {self.expr(node.child)})'
        if isinstance(node, Or):
            return "(" + " OR ".join(self.expr(c) for c in node.children) + ")"
        positives = [c for c in node.children if not isinstance(c, Not)]
        negatives = [c.child for c in node.children if isinstance(c, Not)]
        out = " AND ".join(self.expr(c) for c in positives) if positives else f'tags : "{ALL_TAG}"'
        if len(positives) > 1:
            out = f"({out})"
        for negative in negatives:
            out = f"({out} NOT {self.expr(negative)})"
        return out


class _PostgresCompiler:
    """To a tsquery SQL expression: each word goes through ``to_tsquery('french_unaccent')``
    (accents folded and French stems, as in the stored tsvector), tags are cast literally."""

    def __init__(self, session: Session, plan: _Plan) -> None:
        self.session = session
        self.plan = plan
        self.estimating = False

    def param(self, value: str) -> str:
        name = f"q{len(self.plan.params)}"
        self.plan.params[name] = value
        return f":{name}"

    def tags(self, tags: Sequence[str]) -> str:
        return f"CAST({self.param(' | '.join(tags))} AS tsquery)"

    def compile(self) -> None:
        parts = []
        node = self.plan.node
        if node is not None:
            parts.append(self.expr(node))
        for group in self.plan.tag_groups:
            parts.append(self.tags(group))
        if parts:
            self.plan.tsquery = "(" + " && ".join(parts) + ")"
        if node is not None:
            # The planner multiplies the selectivities of a phrase's words (they are correlated,
            # so "conseil de Paris" was estimated at 114 rows for 1,411); its pairs alone are
            # in the statistics as they are: estimate on them.
            self.estimating = True
            self.plan.estimate_tsquery = "(" + " && ".join([self.expr(node), *parts[1:]]) + ")"
            self.estimating = False

    def expr(self, node: Node) -> str:
        if isinstance(node, (Term, Phrase)) and node.field == "source":
            ids = _source_ids(self.session, node)
            return self.tags([tag_token("src", i) for i in ids] or ["_none_"])
        if isinstance(node, (Term, Phrase)):
            weight = "A" if node.field == "title" else ""
            star = "*" if isinstance(node, Term) and node.prefix else ""
            if weight or star or len(node.words) > 1:
                self.plan.rechecks = True
            suffix = f":{star}{weight}" if star or weight else ""
            query = " <-> ".join(f"'{w.lower()}'{suffix}" for w in node.words)
            words = f"to_tsquery('french_unaccent', {self.param(query)})"
            pairs = sorted(bigrams(" ".join(node.words))) if len(node.words) > 1 else []
            if not pairs:
                return words
            pairs_query = f"CAST({self.param(' & '.join(pairs))} AS tsquery)"
            if self.estimating:
                return pairs_query
            # The pairs let the GIN index find the phrase's rows; the phrase then checks order.
            return f"({words} && {pairs_query})"
        if isinstance(node, Not):
            return f"({self.tags([ALL_TAG])} && !!{self.expr(node.child)})"
        joiner = " || " if isinstance(node, Or) else " && "
        return "(" + joiner.join(self.expr(c) for c in node.children) + ")"


# -- running it -------------------------------------------------------------------------------

def _candidates(session: Session, plan: _Plan, limit: int, offset: int = 0, *, ranked: bool = False,
                before: int | None = None) -> list[tuple[int, int, str, float]]:
    """(sort_key, item_id, tags, score) of matches, newest first."""
    hi = min(plan.hi, before - 1) if before is not None else plan.hi
    params = {"lo": plan.lo, "hi": hi, "limit": limit, "offset": offset, **plan.params}
    if plan.everything:
        sql = ("SELECT sort_key, item_id, tags, 0.0 FROM search_docs WHERE sort_key BETWEEN :lo AND :hi "
               "ORDER BY sort_key DESC LIMIT :limit OFFSET :offset")
    elif plan.dialect == "sqlite":
        params["match"] = plan.match
        score = f"-bm25({FTS_TABLE}, {SQLITE_WEIGHTS})" if ranked else "0.0"
        sql = (f"SELECT f.rowid, d.item_id, d.tags, {score} FROM {FTS_TABLE} f "
               "JOIN search_docs d ON d.sort_key = f.rowid "
               f"WHERE {FTS_TABLE} MATCH :match AND f.rowid BETWEEN :lo AND :hi "
               "ORDER BY f.rowid DESC LIMIT :limit OFFSET :offset")
    else:
        score = f"ts_rank(tsv, {plan.tsquery})" if ranked else "0.0"
        sql = (f"SELECT sort_key, item_id, tags, {score} FROM search_docs WHERE tsv @@ {plan.tsquery} "
               "AND sort_key BETWEEN :lo AND :hi ORDER BY sort_key DESC LIMIT :limit OFFSET :offset")
    return session.execute(text(sql), params).all()  # type: ignore[return-value]


def _where(plan: _Plan) -> str:
    """The PostgreSQL WHERE clause of a plan (no date bounds when there are none, so the
    planner can use its statistics on the tsvector alone)."""
    parts = [f"tsv @@ {plan.tsquery}"] if plan.tsquery else []
    if plan.lo > 0 or plan.hi < (1 << 62):
        parts.append("sort_key BETWEEN :lo AND :hi")
    return " AND ".join(parts) or "TRUE"


def _pg_estimate(session: Session, plan: _Plan) -> int:
    """The planner's estimate of the rows matching a plan (from ANALYZE's tsvector statistics)."""
    params = {"lo": plan.lo, "hi": plan.hi, **plan.params}
    where = _where(plan).replace(plan.tsquery or "", plan.estimate_tsquery or plan.tsquery or "")
    found = session.execute(text(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM search_docs WHERE {where}"),
                            params).scalar_one()
    found = json.loads(found) if isinstance(found, str) else found
    return int(found[0]["Plan"]["Plan Rows"])


def _pg_choose_scan(session: Session, plan: _Plan, window: int) -> None:
    """Walking the primary key backwards reads about window × rows / matches rows; the GIN
    bitmap reads every match ("rows" being those of the date range, if any). The planner misjudges the middle (a common word with a theme
    and an arrondissement at 1M items: 377 ms backwards through 118,000 rows where the bitmap
    reads 6,900), so when matches < sqrt(window × rows) the backward walk is switched off for
    the candidates query."""
    if plan.lo > 0 or plan.hi < (1 << 62):  # the walk only covers the date range
        found = session.execute(text("EXPLAIN (FORMAT JSON) SELECT 1 FROM search_docs "
                                     "WHERE sort_key BETWEEN :lo AND :hi"), {"lo": plan.lo, "hi": plan.hi}).scalar_one()
        found = json.loads(found) if isinstance(found, str) else found
        rows = int(found[0]["Plan"]["Plan Rows"])
    else:
        rows = session.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'search_docs'")).scalar() or 0
    if plan.estimate is not None and plan.estimate ** 2 < window * max(rows, 1):
        session.execute(text("SET LOCAL enable_indexscan = off"))
        plan.bitmap = True


def _count(session: Session, plan: _Plan, seen: int, window: int) -> tuple[int, str]:
    """(total, kind): kind is "exact", "at_least" (SQLite, above COUNT_CAP) or "about"
    (PostgreSQL, the planner's estimate, when counting would read too many rows)."""
    if seen < window:
        return seen, "exact"
    full = plan.lo == 0 and plan.hi >= (1 << 62)
    params: dict[str, Any] = {"lo": plan.lo, "hi": plan.hi, "cap": COUNT_CAP + 1, **plan.params}
    if plan.dialect == "sqlite":
        if plan.everything:
            sql = ("SELECT count(*) FROM search_docs" if full else
                   "SELECT count(*) FROM search_docs INDEXED BY ix_search_docs_keys WHERE sort_key BETWEEN :lo AND :hi")
            return session.execute(text(sql), params).scalar_one(), "exact"
        if plan.single_term and full:
            vocab = session.execute(text("SELECT doc FROM search_fts_vocab WHERE term = :t"),
                                    {"t": plan.single_term}).scalar()
            if vocab is not None:
                return int(vocab), "exact"
        params["match"] = plan.match
        sql = (f"SELECT count(*) FROM (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :match "
               "AND rowid BETWEEN :lo AND :hi LIMIT :cap)")
        count = session.execute(text(sql), params).scalar_one()
        return (COUNT_CAP, "at_least") if count > COUNT_CAP else (count, "exact")
    # PostgreSQL: counting means reading (and detoasting) every matching row, 5 µs each, so
    # a common word at 1M items would take seconds; above PG_EXACT_LIMIT the estimate of the
    # planner (from the tsvector statistics of ANALYZE) is shown instead.
    estimate = plan.estimate if plan.estimate is not None else _pg_estimate(session, plan)
    if estimate > PG_EXACT_LIMIT:
        return max(_round(estimate), seen), "about"
    if plan.rechecks:
        # Counting a phrase, a prefix or a title word reads every matching row's positions
        # (about 25 µs a row at 1M items): say "more than" the candidates already read.
        return seen, "at_least"
    count = session.execute(text(f"SELECT count(*) FROM (SELECT 1 FROM search_docs WHERE {_where(plan)} "
                                 "LIMIT :cap) AS capped"), params).scalar_one()
    return (COUNT_CAP, "at_least") if count > COUNT_CAP else (count, "exact")


def _round(estimate: int) -> int:
    """Two significant digits: an estimate should not look exact."""
    digits = max(0, len(str(estimate)) - 2)
    return round(estimate, -digits)


def search(session: Session, request: SearchRequest) -> SearchPage:
    """One page of results with facets. Raises `QueryError` for a malformed query or request."""
    plan = _plan(session, request)
    ranked = request.sort == "relevance" and plan.node is not None
    window = max(RELEVANCE_WINDOW, FACET_SAMPLE)
    if plan.dialect == "postgresql" and not plan.everything:
        plan.estimate = _pg_estimate(session, plan)
        _pg_choose_scan(session, plan, window)
    stamp = _index_stamp(session, plan)
    cache_key = (str(session.get_bind().engine.url), stamp, plan.match, plan.lo, plan.hi, ranked)
    found = _WINDOWS.get(cache_key) if stamp is not None else None
    if found is not None:
        newest, total, kind = found
    else:
        newest = _candidates(session, plan, window, ranked=ranked)
        if plan.bitmap:
            session.execute(text("SET LOCAL enable_indexscan = on"))
        total, kind = _count(session, plan, len(newest), window)
        if stamp is not None:
            _WINDOWS.put(cache_key, (newest, total, kind))
    first = (request.page - 1) * request.page_size
    last = first + request.page_size
    ordered = sorted(newest, key=lambda c: (-c[3], -c[0])) if ranked else newest
    chosen = ordered[first:last]
    if last > len(newest) and len(newest) == window:
        start = max(first, window)
        chosen += _candidates(session, plan, last - start, start)
    facets = _facets(session, newest[:FACET_SAMPLE])
    return SearchPage(total=max(total, len(newest)), hits=_hits(session, plan, chosen), facets=facets,
                      total_exact=kind == "exact", total_kind=kind, facets_sample=min(len(newest), FACET_SAMPLE), page=request.page,
                      page_size=request.page_size, sort=request.sort, query=request.q)


class _WindowCache:
    """The newest matches of recent queries (`RELEVANCE_WINDOW` rows each) with their totals,
    per process, keyed by the index's version: paging through results, or the same query
    asked again, reads only the page's items (their titles and snippets are always read
    afresh; facet labels too). 64 windows of about 250 kB at most."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._data: OrderedDict[tuple[Any, ...], tuple[list[Any], int, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> tuple[list[Any], int, str] | None:
        with self._lock:
            found = self._data.get(key)
            if found is not None:
                self._data.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], value: tuple[list[Any], int, str]) -> None:
        with self._lock:
            self._data[key] = value
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


_WINDOWS = _WindowCache()


def _index_stamp(session: Session, plan: _Plan) -> bytes | None:
    """A value that changes whenever the SQLite index does: FTS5's structure record (row 10 of
    its data table) is rewritten by every transaction that writes the index, and read in the
    search's own snapshot. PostgreSQL has no such stamp: nothing is cached there. (A database
    file swapped under a running server for another whose index has the same layout would
    be served from the cache: the restore recipe of docs/operations.md stops the web app first.)"""
    if plan.dialect != "sqlite":
        return None
    return session.execute(text(f"SELECT block FROM {FTS_TABLE}_data WHERE id = 10")).scalar()


def iter_hits(session: Session, request: SearchRequest, *, batch: int = 500) -> Iterator[SearchHit]:
    """Every match, newest first, streamed in batches (for CSV and JSON export)."""
    plan = _plan(session, request)
    before: int | None = None
    while True:
        rows = _candidates(session, plan, batch, before=before)
        if not rows:
            return
        yield from _hits(session, plan, rows)
        before = rows[-1][0]
        if len(rows) < batch:
            return


def _hits(session: Session, plan: _Plan, rows: Sequence[tuple[int, int, str, float]]) -> list[SearchHit]:
    if not rows:
        return []
    ids = [row[1] for row in rows]
    found = {
        row.id: row for row in session.execute(
            select(Item.id, Item.title, Item.url, Item.final_url, Item.canonical_url, Item.text, Item.summary,
                   Item.description, Item.published_at, Item.story_id, Item.source_id, Source.name,
                   Source.outlet_type)
            .join(Source, Source.id == Item.source_id).where(Item.id.in_(ids)))}
    hits = []
    for sort_key, item_id, tags, score in rows:
        row = found.get(item_id)
        if row is None:  # deleted since the index was read
            continue
        themes = [t[len("_th_"):] for t in tags.split() if t.startswith("_th_") and t != "_th_none"]
        hits.append(SearchHit(
            item_id=item_id, title=row.title or "", url=row.canonical_url or row.final_url or row.url,
            source=row.name, outlet_type=row.outlet_type, published_at=row.published_at or key_time(sort_key),
            snippet_html=snippet(row.text or row.summary or row.description, plan.keys, plan.prefixes),
            score=round(float(score), 4), themes=themes,
            title_html=highlight(row.title, plan.keys, plan.prefixes), source_id=row.source_id,
            story_id=row.story_id))
    return hits


FACET_KINDS = {"th": "theme", "src": "source", "ot": "outlet_type", "arr": "arrondissement", "ent": "entity"}


def _facets(session: Session, rows: Sequence[tuple[int, int, str, float]]) -> dict[str, list[tuple[Any, str, int]]]:
    tally = Counter(" ".join(row[2] for row in rows).split())  # one Counter pass: 0.7 ms for 1,000 rows, 1.0 by row
    counters: dict[str, Counter[str]] = {name: Counter() for name in FACET_KINDS.values()}
    for tag, count in tally.items():
        kind, _, value = tag[1:].partition("_")
        name = FACET_KINDS.get(kind)
        if name is not None:
            counters[name][value] = count
    facets: dict[str, list[tuple[Any, str, int]]] = {}
    facets["theme"] = [(v, THEME_LABELS.get(v, v), n) for v, n in counters["theme"].most_common()]
    top_sources = [(int(v), n) for v, n in counters["source"].most_common(FACET_TOP) if v.isdigit()]
    names: dict[int, str] = {}
    if top_sources:
        names = {i: n for i, n in session.execute(
            select(Source.id, Source.name).where(Source.id.in_([s for s, _ in top_sources])))}
    facets["source"] = [(s, names.get(s, str(s)), n) for s, n in top_sources]
    facets["outlet_type"] = [(v, OUTLET_LABELS.get(v, v), n) for v, n in counters["outlet_type"].most_common()]
    facets["arrondissement"] = sorted(((int(v), f"{v}{'er' if v == '1' else 'e'} arrondissement", n)
                                       for v, n in counters["arrondissement"].items() if v.isdigit()),
                                      key=lambda f: (-f[2], f[0]))
    top_entities = counters["entity"].most_common(FACET_TOP)
    labels = _entity_labels(session, [v for v, _ in top_entities])
    facets["entity"] = [(v, labels.get(v) or v.replace("_", " ").title(), n) for v, n in top_entities]
    return facets


_ENTITY_LABELS: dict[tuple[str, str], str] = {}  # (database, value) → a spelling; they never change


def _entity_labels(session: Session, values: list[str]) -> dict[str, str]:
    """Display names of entity facet values: one stored spelling of each, in one statement of
    indexed lookups (a GROUP BY over a popular person's mentions would read 100k rows),
    remembered per process since a normalised name keeps its spelling."""
    database = str(session.get_bind().engine.url)
    known = {v: _ENTITY_LABELS[(database, v)] for v in values if (database, v) in _ENTITY_LABELS}
    values = [v for v in values if v not in known]
    if not values:
        return known
    if len(_ENTITY_LABELS) > 50_000:
        _ENTITY_LABELS.clear()
    found = _lookup_entity_labels(session, values)
    _ENTITY_LABELS.update({(database, v): t for v, t in found.items()})
    return {**known, **found}


def _lookup_entity_labels(session: Session, values: list[str]) -> dict[str, str]:
    params: dict[str, Any] = {}
    selects = []
    for i, value in enumerate(values):
        lookups = []
        for j, norm in enumerate(dict.fromkeys((value.replace("_", " "), value.replace("_", "-"), value))):
            params[f"n{i}_{j}"] = norm
            lookups.append(f"(SELECT text FROM entities WHERE label IN ('PER', 'ORG') AND norm = :n{i}_{j} LIMIT 1)")
        params[f"v{i}"] = value
        selects.append(f"SELECT :v{i}, coalesce({', '.join(lookups)}, '')" if len(lookups) > 1
                       else f"SELECT :v{i}, {lookups[0]}")
    return {v: t for v, t in session.execute(text(" UNION ALL ".join(selects)), params) if t}


# -- charts -------------------------------------------------------------------------------------

def _grouped(session: Session, plan: _Plan, column: str) -> list[tuple[Any, str, int]]:
    """(week, column value, count) over the full match set, grouped in the database."""
    params: dict[str, Any] = {"lo": plan.lo, "hi": plan.hi, **plan.params}
    if plan.everything:
        sql = (f"SELECT week, {column}, count(*) FROM search_docs WHERE sort_key BETWEEN :lo AND :hi "
               f"GROUP BY week, {column}")
    elif plan.dialect == "sqlite":
        params["match"] = plan.match
        sql = (f"SELECT d.week, d.{column}, count(*) FROM {FTS_TABLE} f JOIN search_docs d "
               f"ON d.sort_key = f.rowid WHERE {FTS_TABLE} MATCH :match AND f.rowid BETWEEN :lo AND :hi "
               f"GROUP BY d.week, d.{column}")
    else:
        sql = (f"SELECT week, {column}, count(*) FROM search_docs WHERE tsv @@ {plan.tsquery} "
               f"AND sort_key BETWEEN :lo AND :hi GROUP BY week, {column}")
    return session.execute(text(sql), params).all()  # type: ignore[return-value]


def _sqlite_match_with(plan: _Plan, tag: str | None) -> str:
    parts = [f"({plan.match})"] if plan.match else []
    if tag:
        parts.append(f'tags : "{tag}"')
    return " AND ".join(parts) or f'tags : "{ALL_TAG}"'


def _week_totals(session: Session, first: int, last: int) -> dict[int, int]:
    """All indexed items per week (the denominator of shares), kept 5 minutes per database:
    counting them reads the whole week index (1M entries at 1M items)."""
    bounds = session.execute(select(func.min(SearchDoc.sort_key), func.max(SearchDoc.sort_key))).one()
    key = f"{session.get_bind().engine.url}|{bounds[0]}|{bounds[1]}"  # new items change the newest key
    now = time.monotonic()
    cached = _WEEK_TOTALS.get(key)
    if cached is None or now - cached[0] > WEEK_TOTALS_TTL:
        totals = {w: n for w, n in session.execute(
            select(SearchDoc.week, func.count()).group_by(SearchDoc.week)).all()}
        if len(_WEEK_TOTALS) > 100:
            _WEEK_TOTALS.clear()
        _WEEK_TOTALS[key] = cached = (now, totals)
    return {w: n for w, n in cached[1].items() if first <= w <= last}


_WEEK_TOTALS: dict[str, tuple[float, dict[int, int]]] = {}
WEEK_TOTALS_TTL = 300.0


def coverage(session: Session, request: SearchRequest) -> list[tuple[str, str, int, float]]:
    """Coverage over time of the query's matches: (ISO week "YYYY-Www", theme, count, share),
    share = count / all items of that week. Theme "*" counts every match; "none" the
    matches without a theme. Weeks without a match inside the range are filled with zeros."""
    plan = _plan(session, request)
    counts: Counter[tuple[int, str]] = Counter()
    # Measured at 1M items: the join to the covering index (475 ms CPU for a word in 400,000
    # items) beat one rowid-only FTS5 walk per theme (688 ms): the theme walks intersect big lists.
    for week, themes, n in _grouped(session, plan, "themes"):
        counts[(week, "*")] += n
        for theme in (themes or NO_THEME).split():
            counts[(week, theme)] += n
    if not counts:
        return []
    weeks = sorted({w for w, _ in counts})
    all_weeks = [weeks[0]]
    while all_weeks[-1] < weeks[-1] and len(all_weeks) < 2000:
        all_weeks.append(week_after(all_weeks[-1]))
    totals = _week_totals(session, weeks[0], weeks[-1])
    themes = sorted({t for _, t in counts})
    out = []
    for week in all_weeks:
        all_items = totals.get(week, 0)
        for theme in themes:
            n = counts.get((week, theme), 0)
            out.append((week_label(week), theme, n, round(n / all_items, 4) if all_items else 0.0))
    return out


def arrondissement_counts(session: Session, request: SearchRequest) -> dict[int, int]:
    """How many matches are about each arrondissement (1–20; an item may count in several)."""
    plan = _plan(session, request)
    counts = {a: 0 for a in range(1, 21)}
    if plan.dialect == "sqlite":
        # One intersection of doclists per arrondissement: 10 ms each for a word in 400,000 of
        # 1M items, where joining every match to its places took 620 ms.
        for arrondissement in counts:
            counts[arrondissement] = session.execute(text(
                f"SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :match AND rowid BETWEEN :lo AND :hi"),
                {"match": _sqlite_match_with(plan, tag_token("arr", arrondissement)),
                 "lo": plan.lo, "hi": plan.hi}).scalar_one()
        return counts
    for _, places, n in _grouped(session, plan, "places"):
        for place in (places or "").split():
            if place.isdigit() and int(place) in counts:
                counts[int(place)] += n
    return counts


