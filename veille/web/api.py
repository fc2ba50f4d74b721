"""The JSON API: search, items, stories, reviews, sources. Documented at /api/docs (OpenAPI).

Every endpoint needs a per-user token (``Authorization: Bearer …``) or a logged-in browser,
counts against the caller's rate limit, and pages its lists (``page``, ``page_size``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from models import Digest, Entity, Item, ItemPlace, ItemState, Source, Story, ThemeScore

from .auth import Capability, Viewer, api_need
from .editorial import item_time, latest_labels
from .render import valid_week
from .reviews import WITHOUT_CONTEXT
from .searching import BadParameter, request_from
from .state import web_state

router = APIRouter(prefix="/api", tags=["api"])
SEARCH = Depends(api_need(Capability.search))
READ = Depends(api_need(Capability.read))


class Page(BaseModel):
    page: int
    page_size: int
    total: int


class Hit(BaseModel):
    item_id: int
    title: str | None
    url: str
    source: str
    outlet_type: str | None
    published_at: datetime | None
    snippet_html: str | None = Field(None, description="Snippet with matches in <mark>; text is HTML-escaped.")
    score: float | None
    themes: list[str]


class Facet(BaseModel):
    value: Any
    label: str
    count: int


class SearchResponse(Page):
    hits: list[Hit]
    facets: dict[str, list[Facet]]


class ThemeView(BaseModel):
    theme: str
    score: float
    assigned: bool
    model_version: str
    reasons: list[Any]


class ItemView(BaseModel):
    id: int
    title: str | None
    url: str
    source: str
    outlet_type: str
    published_at: datetime | None
    first_seen_at: datetime
    author: str | None
    summary: str | None
    language: str | None
    state: str
    story_id: int | None
    duplicate_of_id: int | None
    themes: list[str] = Field(description="The latest human label if any, else the model's assigned themes.")
    theme_scores: list[ThemeView]
    labelled_by: str | None
    arrondissements: list[int]
    entities: list[dict[str, Any]]


class ItemList(Page):
    items: list[ItemView]


class StoryView(BaseModel):
    id: int
    title: str | None
    first_published_at: datetime | None
    last_published_at: datetime | None
    item_count: int
    outlet_count: int
    origin: str
    questions: str | None
    item_ids: list[int]


class StoryList(Page):
    stories: list[StoryView]


class ReviewRef(BaseModel):
    group: str
    week: str
    published_at: datetime | None
    url: str


class ReviewList(Page):
    reviews: list[ReviewRef]


class SourceView(BaseModel):
    id: int
    name: str
    url: str
    kind: str
    outlet_type: str
    enabled: bool
    last_success_at: datetime | None
    last_checked_at: datetime | None
    next_check_at: datetime | None
    last_outcome: str | None
    last_error: str | None
    consecutive_failures: int
    error_counts: dict[str, Any]
    items_found: int


class SourceList(Page):
    sources: list[SourceView]


async def paging(page: int = Query(1, ge=1, le=100000), page_size: int = Query(50, ge=1, le=500)
                 ) -> tuple[int, int]:
    # async: FastAPI runs a plain function dependency in the threadpool, a wait for a turn among
    # `web.threads` for two integers.
    return page, page_size


@router.get("/search", response_model=SearchResponse, summary="Search the archive")
def api_search(request: Request, viewer: Viewer = SEARCH,
               q: str = Query("", description='Query: words, "phrases", AND/OR/NOT, prefix*, title:, source:'),
               ) -> dict[str, Any]:
    """Parameters as the search page: ``theme``, ``source``, ``outlet_type``, ``from``, ``to``, ``arr``,
    ``entity``, ``story`` (repeatable), ``sort`` (relevance|date), ``page``, ``page_size`` (≤ 100).
    A malformed query is a 400 whose ``detail`` says what is wrong and where."""
    from models.search import QueryError, search

    state = web_state(request)
    try:
        search_request = request_from(request.query_params, page_size=state.settings.web.page_size)
        with state.app.db.reader() as session:
            result = search(session, search_request)
    except BadParameter as exc:
        raise HTTPException(400, str(exc)) from None
    except QueryError as exc:
        raise HTTPException(400, {"message": getattr(exc, "message", str(exc)),
                                  "position": getattr(exc, "position", None)}) from None
    return {"page": search_request.page, "page_size": search_request.page_size, "total": result.total,
            "hits": [{name: getattr(hit, name, None) for name in Hit.model_fields} for hit in result.hits],
            "facets": {name: [{"value": v, "label": str(label or v), "count": c} for v, label, c in values]
                       for name, values in (result.facets or {}).items()}}


def _item_views(session: Any, ids: list[int]) -> list[dict[str, Any]]:
    """The API's view of these items, in this order, from five column queries whatever their
    number (ORM objects for 50 items with their scores, places and entities cost 13 ms of CPU)."""
    if not ids:
        return []
    rows = {row.id: row for row in session.execute(
        select(Item.id, Item.title, Item.canonical_url, Item.published_at, Item.first_seen_at, Item.author,
               Item.summary, Item.description, Item.language, Item.state, Item.story_id, Item.duplicate_of_id,
               Source.name.label("source"), Source.outlet_type)
        .join(Source, Source.id == Item.source_id).where(Item.id.in_(ids)))}
    scores: dict[int, list[dict[str, Any]]] = {}
    for row in session.execute(select(ThemeScore.item_id, ThemeScore.theme, ThemeScore.score, ThemeScore.assigned,
                                      ThemeScore.model_version, ThemeScore.reasons)
                               .where(ThemeScore.item_id.in_(ids)).order_by(ThemeScore.item_id, ThemeScore.theme)):
        scores.setdefault(row.item_id, []).append({"theme": row.theme, "score": row.score, "assigned": row.assigned,
                                                   "model_version": row.model_version, "reasons": row.reasons})
    places: dict[int, list[int]] = {}
    for item_id, arrondissement in session.execute(select(ItemPlace.item_id, ItemPlace.arrondissement)
                                                   .where(ItemPlace.item_id.in_(ids))):
        places.setdefault(item_id, []).append(arrondissement)
    entities: dict[int, list[dict[str, Any]]] = {}
    for row in session.execute(select(Entity.item_id, Entity.label, Entity.text, Entity.count)
                               .where(Entity.item_id.in_(ids)).order_by(Entity.id)):
        entities.setdefault(row.item_id, []).append({"label": row.label, "text": row.text, "count": row.count})
    labels = latest_labels(session, ids)
    views = []
    for item_id in ids:
        item = rows.get(item_id)
        if item is None:
            continue
        label = labels.get(item_id)
        item_scores = scores.get(item_id, [])
        views.append({
            "id": item.id, "title": item.title, "url": item.canonical_url, "source": item.source,
            "outlet_type": item.outlet_type, "published_at": item.published_at,
            "first_seen_at": item.first_seen_at, "author": item.author, "summary": item.summary or item.description,
            "language": item.language, "state": item.state, "story_id": item.story_id,
            "duplicate_of_id": item.duplicate_of_id,
            "themes": (list(label.themes) if label is not None
                       else sorted(s["theme"] for s in item_scores if s["assigned"])),
            "theme_scores": item_scores,
            "labelled_by": label.author if label is not None else None,
            "arrondissements": sorted(places.get(item_id, [])),
            "entities": entities.get(item_id, []),
        })
    return views


@router.get("/items", response_model=ItemList, summary="Items, newest first; poll with `since`")
def api_items(request: Request, viewer: Viewer = SEARCH, paged: tuple[int, int] = Depends(paging),
              since: datetime | None = Query(None, description="Only items first seen after this time (ISO 8601)."),
              story: int | None = Query(None, description="Only the items of this story.")) -> dict[str, Any]:
    page, size = paged
    query = select(Item.id).where(Item.state != ItemState.dropped.value)
    if since is not None:
        if since.tzinfo is None:
            raise HTTPException(400, "`since` needs a time zone, e.g. 2026-11-20T08:00:00Z")
        query = query.where(Item.first_seen_at > since)
    if story is not None:
        query = query.where(Item.story_id == story)
    with web_state(request).app.db.reader() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        # Ids grow with ingestion, so id order is "newest first seen" without sorting the archive.
        ids = list(session.scalars(query.order_by(Item.id.desc()).offset((page - 1) * size).limit(size)))
        return {"page": page, "page_size": size, "total": total, "items": _item_views(session, ids)}


@router.get("/items/{item_id}", response_model=ItemView, summary="One item")
def api_item(request: Request, item_id: int, viewer: Viewer = SEARCH) -> dict[str, Any]:
    with web_state(request).app.db.reader() as session:
        views = _item_views(session, [item_id])
    if not views:
        raise HTTPException(404, "no such item")
    return views[0]


def _story_view(story: Story, item_ids: list[int]) -> dict[str, Any]:
    return {"id": story.id, "title": story.title, "first_published_at": story.first_published_at,
            "last_published_at": story.last_published_at, "item_count": story.item_count,
            "outlet_count": story.outlet_count, "origin": story.origin, "questions": story.questions,
            "item_ids": item_ids}


@router.get("/stories", response_model=StoryList, summary="Stories, latest first")
def api_stories(request: Request, viewer: Viewer = SEARCH, paged: tuple[int, int] = Depends(paging),
                week: str | None = Query(None, description="Only stories with items in this ISO week (YYYY-Www).")
                ) -> dict[str, Any]:
    from .render import week_bounds

    page, size = paged
    query = select(Story)
    if week:
        if not valid_week(week):
            raise HTTPException(400, "week is written YYYY-Www, e.g. 2026-W47")
        start, end = week_bounds(week, web_state(request).settings.timezone)
        query = query.where(Story.id.in_(select(Item.story_id).where(item_time() >= start, item_time() < end)))
    with web_state(request).app.db.reader() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        stories = session.scalars(query.order_by(Story.last_published_at.desc().nulls_last(), Story.id.desc())
                                  .offset((page - 1) * size).limit(size)).all()
        members: dict[int, list[int]] = {}
        if stories:
            for item_id, story_id in session.execute(select(Item.id, Item.story_id)
                                                     .where(Item.story_id.in_([s.id for s in stories]))):
                members.setdefault(story_id, []).append(item_id)
        return {"page": page, "page_size": size, "total": total,
                "stories": [_story_view(s, sorted(members.get(s.id, []))) for s in stories]}


@router.get("/stories/{story_id}", response_model=StoryView, summary="One story")
def api_story(request: Request, story_id: int, viewer: Viewer = SEARCH) -> dict[str, Any]:
    with web_state(request).app.db.reader() as session:
        story = session.get(Story, story_id)
        if story is None:
            raise HTTPException(404, "no such story")
        ids = sorted(session.scalars(select(Item.id).where(Item.story_id == story_id)))
        return _story_view(story, ids)


@router.get("/reviews", response_model=ReviewList, summary="Published reviews, latest first")
def api_reviews(request: Request, viewer: Viewer = READ, paged: tuple[int, int] = Depends(paging),
                group: str | None = None) -> dict[str, Any]:
    page, size = paged
    base = web_state(request).settings.digests.base_url.rstrip("/")
    query = select(Digest).where(Digest.status == "published").options(WITHOUT_CONTEXT)
    if group:
        query = query.where(Digest.group == group)
    with web_state(request).app.db.reader() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(Digest.week.desc(), Digest.group)
                               .offset((page - 1) * size).limit(size)).all()
    return {"page": page, "page_size": size, "total": total,
            "reviews": [{"group": d.group, "week": d.week, "published_at": d.published_at,
                         "url": f"{base}/reviews/{d.group}/{d.week}"} for d in rows]}


@router.get("/reviews/{group}/{week}", summary="One published review, as its context (JSON)")
def api_review(request: Request, group: str, week: str, viewer: Viewer = READ) -> Any:
    from .reviews import assemble, digest_row

    state = web_state(request)
    if group not in state.settings.digests.groups or not valid_week(week):
        raise HTTPException(404, "no such review")
    with state.app.db.reader() as session:
        digest = digest_row(session, group, week)
        if digest is None or (digest.status != "published" and not viewer.can(Capability.curate)):
            raise HTTPException(404, "no such published review")
        review = assemble(session, state.app, group, week)
    return review.model_dump(mode="json") if hasattr(review, "model_dump") else review


@router.get("/sources", response_model=SourceList, summary="Sources and their health")
def api_sources(request: Request, viewer: Viewer = SEARCH, paged: tuple[int, int] = Depends(paging)
                ) -> dict[str, Any]:
    page, size = paged
    with web_state(request).app.db.reader() as session:
        total = session.scalar(select(func.count(Source.id))) or 0
        rows = session.scalars(select(Source).order_by(Source.name).offset((page - 1) * size).limit(size)).all()
        return {"page": page, "page_size": size, "total": total,
                "sources": [{name: getattr(s, name) for name in SourceView.model_fields} for s in rows]}
