"""Members' pages: the latest review of each group, the archive, each review (HTML, PDF, Markdown, Atom).

Published reviews are public when ``digests.public`` is true, else for logged-in members.
Drafts are only for facilitators (the preview of the curation pages).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import bindparam, select

from models import Digest

from .auth import Capability, LoginRequired, Viewer, viewer_of
from .render import page, valid_week
from .reviews import WITHOUT_CONTEXT, RenderCache, assemble, digest_row, latest_published, render
from .state import web_state

router = APIRouter(include_in_schema=False)


def reader(request: Request) -> Viewer | None:
    """Who may read published reviews: anyone when they are public, else members and up."""
    viewer = viewer_of(request)
    if not web_state(request).settings.digests.public:
        if viewer is None:
            raise LoginRequired(request.url.path)
        if not viewer.can(Capability.read):
            raise HTTPException(403, "Votre rôle ne permet pas de lire les revues.")
    return viewer


def _check_group(request: Request, group: str) -> str:
    groups = web_state(request).settings.digests.groups
    if group not in groups:
        raise HTTPException(404, "Ce groupe de travail n'existe pas.")
    return groups[group].title


def _cache(request: Request) -> RenderCache:
    state = request.app.state
    if not hasattr(state, "review_cache"):
        state.review_cache = RenderCache()
    return state.review_cache


REVIEW_STATE = select(Digest.status, Digest.updated_at).where(Digest.group == bindparam("group"),
                                                             Digest.week == bindparam("week"))


def load(request: Request, group: str, week: str, fmt: str, **kwargs: object) -> tuple[Any, object]:
    """The digest row and the review rendered in ``fmt``; 404 when a reader may not see it."""
    _check_group(request, group)
    if not valid_week(week):
        raise HTTPException(404, "Semaine invalide : elle s'écrit AAAA-Sss, par exemple 2026-W47.")
    viewer = reader(request)
    curator = viewer is not None and viewer.can(Capability.curate)
    app = web_state(request).app
    # The common case, a published review already rendered by this process: its status and
    # updated_at through a Core connection (a quarter of an ORM session's CPU), no session.
    with app.db.engine.connect() as connection:
        current = connection.execute(REVIEW_STATE, {"group": group, "week": week}).first()
    if current is not None and current.status == "published":
        cached = _cache(request).get((group, week, fmt, tuple(sorted(kwargs.items())), current.updated_at))
        if cached is not None:
            return current, cached
    with app.db.reader() as session:
        digest = digest_row(session, group, week)
        published = digest is not None and digest.status == "published"
        if not published and not curator:
            raise HTTPException(404, "Cette revue n'est pas (encore) publiée.")
        key = (group, week, fmt, tuple(sorted(kwargs.items())), digest.updated_at if digest else None)
        if published:
            cached = _cache(request).get(key)
            if cached is not None:
                return digest, cached
        review = assemble(session, app, group, week)
    rendered = render(review, fmt, **kwargs)
    if published:
        _cache(request).put(key, rendered)
    return digest, rendered


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    viewer = reader(request)
    with web_state(request).app.db.reader() as session:
        latest = latest_published(session)
    return page(request, "home.html", latest=latest, viewer=viewer)


@router.get("/reviews", response_class=HTMLResponse)
def archive(request: Request, group: str = "") -> Response:
    reader(request)
    query = (select(Digest).where(Digest.status == "published").order_by(Digest.week.desc(), Digest.group)
             .options(WITHOUT_CONTEXT))
    if group:
        _check_group(request, group)
        query = query.where(Digest.group == group)
    with web_state(request).app.db.reader() as session:
        rows = session.scalars(query.limit(500)).all()
    weeks: dict[str, list[Digest]] = {}
    for row in rows:
        weeks.setdefault(row.week, []).append(row)
    return page(request, "archive.html", weeks=weeks, group=group)


@router.get("/review.css")
def review_stylesheet() -> Response:
    """The reviews' own stylesheet (from the digests package), for the review pages."""
    import digests as digests_api

    return Response(digests_api.stylesheet(), media_type="text/css; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=3600"})


@router.get("/reviews/{group}.atom")
def atom(request: Request, group: str) -> Response:
    _check_group(request, group)
    reader(request)
    import digests as digests_api

    from .reviews import options

    app = web_state(request).app
    with app.db.reader() as session:
        feed = digests_api.render_atom(session, group, options(app))
    return Response(feed, media_type="application/atom+xml; charset=utf-8")


@router.get("/reviews/{group}/{week}.pdf")
def review_pdf(request: Request, group: str, week: str) -> Response:
    _, pdf = load(request, group, week, "pdf")
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="revue-{group}-{week}.pdf"'})


@router.get("/reviews/{group}/{week}.md")
def review_markdown(request: Request, group: str, week: str) -> Response:
    _, text = load(request, group, week, "markdown")
    return Response(text, media_type="text/markdown; charset=utf-8",
                    headers={"Content-Disposition": f'inline; filename="revue-{group}-{week}.md"'})


@router.get("/reviews/{group}/{week}", response_class=HTMLResponse)
def review(request: Request, group: str, week: str) -> Response:
    digest, body = load(request, group, week, "html", standalone=False)
    return page(request, "review.html", group=group, group_title=_check_group(request, group), week=week,
                digest=digest, body=body)
