"""Stories: the décryptage dossier (page and PDF), title and questions, merge and split."""

from __future__ import annotations

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from .auth import Viewer
from .dossier import build_dossier
from .editorial import EditorialError, merge_stories, set_story_text, split_story
from .pages_curate import CURATE, POST, actor
from .render import page, redirect
from .security import safe_next
from .state import web_state

router = APIRouter(include_in_schema=False)


def _dossier(request: Request, story_id: int):  # type: ignore[no-untyped-def]
    with web_state(request).app.db.reader() as session:
        dossier = build_dossier(session, story_id)
    if dossier is None:
        raise HTTPException(404, "Ce sujet n'existe pas (il a peut-être été fusionné : voir le journal).")
    return dossier


@router.get("/stories/{story_id}.pdf")
def dossier_pdf(request: Request, story_id: int, viewer: Viewer = CURATE) -> Response:
    from weasyprint import HTML

    from .state import HERE

    dossier = _dossier(request, story_id)
    html = web_state(request).templates.get_template("dossier_print.html").render(d=dossier, request=request)
    css = (HERE / "static" / "veille.css").read_text(encoding="utf-8")
    from weasyprint import CSS

    pdf = HTML(string=html, base_url=str(HERE)).write_pdf(stylesheets=[CSS(string=css)])
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="decryptage-sujet-{story_id}.pdf"'})


@router.get("/stories/{story_id}", response_class=HTMLResponse)
def dossier_page(request: Request, story_id: int, viewer: Viewer = CURATE) -> Response:
    return page(request, "dossier.html", d=_dossier(request, story_id))


def _edit(request: Request, story_id: int, field: str, value: str, reason: str, viewer: Viewer) -> Response:
    if len(value) > 5000:
        raise HTTPException(400, "Texte trop long (5 000 caractères au plus).")
    try:
        with web_state(request).app.db.transaction() as session:
            set_story_text(session, actor(viewer), story_id, field, value, reason)
    except EditorialError as exc:
        raise HTTPException(400, str(exc)) from None
    return redirect(f"/stories/{story_id}", field)


@router.post("/stories/{story_id}/title", dependencies=POST)
def story_title(request: Request, story_id: int, title: str = Form(""), reason: str = Form(""),
                viewer: Viewer = CURATE) -> Response:
    return _edit(request, story_id, "title", title, reason, viewer)


@router.post("/stories/{story_id}/questions", dependencies=POST)
def story_questions(request: Request, story_id: int, questions: str = Form(""), reason: str = Form(""),
                    viewer: Viewer = CURATE) -> Response:
    return _edit(request, story_id, "questions", questions, reason, viewer)


@router.post("/stories/{story_id}/merge", dependencies=POST)
def story_merge(request: Request, story_id: int, other: int = Form(...), reason: str = Form(""),
                back_to: str = Form(""), viewer: Viewer = CURATE) -> Response:
    try:
        with web_state(request).app.db.transaction() as session:
            merge_stories(session, actor(viewer), story_id, other, reason)
    except EditorialError as exc:
        raise HTTPException(400, str(exc)) from None
    return redirect(safe_next(back_to, f"/stories/{story_id}"), "merged")


@router.post("/stories/{story_id}/split", dependencies=POST)
def story_split(request: Request, story_id: int, items: list[int] = Form(default=[]), title: str = Form(""),
                reason: str = Form(""), viewer: Viewer = CURATE) -> Response:
    try:
        with web_state(request).app.db.transaction() as session:
            new = split_story(session, actor(viewer), story_id, items, title, reason)
            new_id = new.id
    except EditorialError as exc:
        raise HTTPException(400, str(exc)) from None
    return redirect(f"/stories/{new_id}", "split")
