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
from sqlalchemy.orm import selectinload

from models import Digest, Item, ItemState, Source, Story

from .auth import Capability, Viewer, api_need
from .editorial import WITHOUT_TEXTS, item_time, latest_labels
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


def paging(page: int = Query(1, ge=1, le=100000), page_size: int = Query(50, ge=1, le=500)) -> tuple[int, int]:
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


def _item_view(item: Item, label: Any) -> dict[str, Any]:
    model_themes = sorted(s.theme for s in item.theme_scores if s.assigned)
    return {
        "id": item.id, "title": item.title, "url": item.canonical_url, "source": item.source.name,
        "outlet_type": item.source.outlet_type, "published_at": item.published_at,
        "first_seen_at": item.first_seen_at, "author": item.author, "summary": item.summary or item.description,
        "language": item.language, "state": item.state, "story_id": item.story_id,
        "duplicate_of_id": item.duplicate_of_id,
        "themes": list(label.themes) if label is not None else model_themes,
        "theme_scores": [{"theme": s.theme, "score": s.score, "assigned": s.assigned,
                          "model_version": s.model_version, "reasons": s.reasons} for s in item.theme_scores],
        "labelled_by": label.author if label is not None else None,
        "arrondissements": sorted(p.arrondissement for p in item.places),
        "entities": [{"label": e.label, "text": e.text, "count": e.count} for e in item.entities],
    }


ITEM_LOADS = (selectinload(Item.source), selectinload(Item.theme_scores), selectinload(Item.places),
              selectinload(Item.entities), *WITHOUT_TEXTS)


@router.get("/items", response_model=ItemList, summary="Items, newest first; poll with `since`")
def api_items(request: Request, viewer: Viewer = SEARCH, paged: tuple[int, int] = Depends(paging),
              since: datetime | None = Query(None, description="Only items first seen after this time (ISO 8601)."),
              story: int | None = Query(None, description="Only the items of this story.")) -> dict[str, Any]:
    page, size = paged
    query = select(Item).where(Item.state != ItemState.dropped.value)
    if since is not None:
        if since.tzinfo is None:
            raise HTTPException(400, "`since` needs a time zone, e.g. 2026-11-20T08:00:00Z")
        query = query.where(Item.first_seen_at > since)
    if story is not None:
        query = query.where(Item.story_id == story)
    with web_state(request).app.db.reader() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        # Ids grow with ingestion, so id order is "newest first seen" without sorting the archive.
        items = session.scalars(query.order_by(Item.id.desc())
                                .offset((page - 1) * size).limit(size).options(*ITEM_LOADS)).all()
        labels = latest_labels(session, {i.id for i in items})
        return {"page": page, "page_size": size, "total": total,
                "items": [_item_view(i, labels.get(i.id)) for i in items]}


@router.get("/items/{item_id}", response_model=ItemView, summary="One item")
def api_item(request: Request, item_id: int, viewer: Viewer = SEARCH) -> dict[str, Any]:
    with web_state(request).app.db.reader() as session:
        item = session.scalar(select(Item).where(Item.id == item_id).options(*ITEM_LOADS))
        if item is None:
            raise HTTPException(404, "no such item")
        return _item_view(item, latest_labels(session, {item_id}).get(item_id))


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
