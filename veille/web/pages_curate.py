"""Facilitators' pages: the week's inbox per group, labels, pins, order, notes, publishing,
the review queue and the audit log."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from models import AuditEntry, Digest

from .auth import Capability, Viewer, csrf_protect, need
from .editorial import (Actor, EditorialError, digest_for, inbox, latest_labels, log_action, move, set_label,
                        set_note, toggle)
from .render import current_week, page, redirect, valid_week, week_bounds
from .reviews import WITHOUT_CONTEXT, digest_row
from .state import web_state

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
CURATE = Depends(need(Capability.curate))
POST = [Depends(csrf_protect)]


def actor(viewer: Viewer) -> Actor:
    return Actor(user_id=viewer.id, name=viewer.name)


def checked(request: Request, group: str, week: str) -> tuple[str, str]:
    groups = web_state(request).settings.digests.groups
    if group not in groups:
        raise HTTPException(404, "Ce groupe de travail n'existe pas.")
    if not valid_week(week):
        raise HTTPException(404, "Semaine invalide : elle s'écrit AAAA-Sss, par exemple 2026-W47.")
    return group, week


def back(group: str, week: str, anchor: str = "") -> str:
    return f"/curate/{group}/{week}" + (f"#{anchor.replace(':', '-')}" if anchor else "")


@router.get("/curate", response_class=HTMLResponse)
def curate_home(request: Request, viewer: Viewer = CURATE) -> Response:
    zone = web_state(request).settings.timezone
    weeks = [current_week(zone, -offset) for offset in range(0, 6)]
    with web_state(request).app.db.reader() as session:
        rows = session.scalars(select(Digest).where(Digest.week.in_(weeks)).options(WITHOUT_CONTEXT)).all()
    status = {(d.group, d.week): d for d in rows}
    return page(request, "curate_home.html", weeks=weeks, by_week=status)


@router.get("/curate/go")
def curate_go(request: Request, group: str = "", week: str = "", viewer: Viewer = CURATE) -> Response:
    group, week = checked(request, group, week.strip().upper())
    return redirect(f"/curate/{group}/{week}")


@router.get("/curate/queue", response_class=HTMLResponse)
def review_queue(request: Request, viewer: Viewer = CURATE) -> Response:
    """Items whose label would teach the model most (the themes helper's uncertainty sampling)."""
    from .queue import queue_candidates

    with web_state(request).app.db.reader() as session:
        candidates = queue_candidates(session, web_state(request).queue_cache, limit=30, window_days=28)
    return page(request, "curate_queue.html", candidates=candidates)


@router.get("/curate/{group}/{week}", response_class=HTMLResponse)
def curate_week(request: Request, group: str, week: str, viewer: Viewer = CURATE) -> Response:
    group, week = checked(request, group, week)
    zone = web_state(request).settings.timezone
    start, end = week_bounds(week, zone)
    with web_state(request).app.db.reader() as session:
        digest = digest_row(session, group, week)
        stories = inbox(session, group, start, end, digest)
    return page(request, "curate_week.html", group=group, week=week, digest=digest, stories=stories,
                story_choices=[s for s in stories if s.story is not None])


@router.post("/curate/items/{item_id}/label", dependencies=POST)
def label_item(request: Request, item_id: int, themes: list[str] = Form(default=[]), note: str = Form(""),
               reason: str = Form(""), back_to: str = Form("/curate"), viewer: Viewer = CURATE) -> Response:
    from .security import safe_next

    try:
        with web_state(request).app.db.transaction() as session:
            set_label(session, actor(viewer), item_id, themes, note, reason)
    except EditorialError as exc:
        raise HTTPException(400, str(exc)) from None
    web_state(request).queue_cache.clear()
    return redirect(safe_next(back_to, "/curate"), "label")


def _decision(request: Request, group: str, week: str, target: str, flag: str, value: bool, reason: str,
              viewer: Viewer, flash: str) -> Response:
    group, week = checked(request, group, week)
    try:
        with web_state(request).app.db.transaction() as session:
            toggle(session, actor(viewer), group, week, target, flag, value, reason)
    except EditorialError as exc:
        raise HTTPException(400, str(exc)) from None
    return redirect(back(group, week, target), flash)


@router.post("/curate/{group}/{week}/pin", dependencies=POST)
def pin(request: Request, group: str, week: str, target: str = Form(...), value: str = Form("1"),
        reason: str = Form(""), viewer: Viewer = CURATE) -> Response:
    return _decision(request, group, week, target, "pinned", value == "1", reason, viewer, "pin")


@router.post("/curate/{group}/{week}/exclude", dependencies=POST)
def exclude(request: Request, group: str, week: str, target: str = Form(...), value: str = Form("1"),
            reason: str = Form(""), viewer: Viewer = CURATE) -> Response:
    return _decision(request, group, week, target, "excluded", value == "1", reason, viewer, "exclude")


@router.post("/curate/{group}/{week}/move", dependencies=POST)
def move_story(request: Request, group: str, week: str, target: str = Form(...), direction: str = Form(...),
               reason: str = Form(""), viewer: Viewer = CURATE) -> Response:
    group, week = checked(request, group, week)
    start, end = week_bounds(week, web_state(request).settings.timezone)
    try:
        with web_state(request).app.db.transaction() as session:
            move(session, actor(viewer), group, week, start, end, target, direction, reason)
    except EditorialError as exc:
        raise HTTPException(400, str(exc)) from None
    return redirect(back(group, week, target), "move")


@router.post("/curate/{group}/{week}/note", dependencies=POST)
def editor_note(request: Request, group: str, week: str, note: str = Form(""), reason: str = Form(""),
                viewer: Viewer = CURATE) -> Response:
    group, week = checked(request, group, week)
    if len(note) > 2000:
        raise HTTPException(400, "Le mot de l'équipe est limité à 2 000 caractères.")
    try:
        with web_state(request).app.db.transaction() as session:
            set_note(session, actor(viewer), group, week, note, reason)
    except EditorialError as exc:
        raise HTTPException(400, str(exc)) from None
    return redirect(back(group, week), "note")


@router.post("/curate/{group}/{week}/publish", dependencies=POST)
def publish(request: Request, group: str, week: str, reason: str = Form(""), viewer: Viewer = CURATE) -> Response:
    from ..jobs.digest import DigestJobError, publish_review

    group, week = checked(request, group, week)
    app = web_state(request).app
    with app.db.transaction() as session:
        digest_for(session, group, week)  # a week without any decision can be published too
    try:
        publish_review(app, group, week, viewer.id)
    except (DigestJobError, ValueError, LookupError) as exc:
        raise HTTPException(400, f"Publication impossible : {exc}") from None
    with app.db.transaction() as session:
        digest = digest_for(session, group, week)
        log_action(session, actor(viewer), "publish", "digest", digest.id, {"group": group, "week": week}, reason)
    log.info("review %s %s published by %s", group, week, viewer.name)
    return redirect(f"/reviews/{group}/{week}", "published")


@router.get("/curate/{group}/{week}/preview.{fmt}")
def preview(request: Request, group: str, week: str, fmt: str, viewer: Viewer = CURATE) -> Response:
    from .reviews import assemble, render

    group, week = checked(request, group, week)
    formats = {"txt": ("text", "text/plain; charset=utf-8"), "md": ("markdown", "text/markdown; charset=utf-8"),
               "pdf": ("pdf", "application/pdf"), "html": ("html", "text/html; charset=utf-8"),
               "eml": ("email", "text/html; charset=utf-8")}
    if fmt not in formats:
        raise HTTPException(404, "Format inconnu : txt, md, pdf, html ou eml.")
    name, media = formats[fmt]
    app = web_state(request).app
    with app.db.reader() as session:
        review = assemble(session, app, group, week)
    body = render(review, name)
    if name == "email":  # the HTML part as members' mail clients show it
        body = body.html
    return Response(body, media_type=media)


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request, target_type: str = "", target_id: str = "", page_number: int = 1,
          viewer: Viewer = CURATE) -> Response:
    size = 50
    page_number = max(1, page_number)
    query = select(AuditEntry)
    if target_type:
        query = query.where(AuditEntry.target_type == target_type)
    if target_id:
        query = query.where(AuditEntry.target_id == target_id)
    with web_state(request).app.db.reader() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                               .offset((page_number - 1) * size).limit(size)).all()
    return page(request, "audit.html", rows=rows, total=total, page_number=page_number, size=size,
                target_type=target_type, target_id=target_id)


__all__ = ["router", "latest_labels"]
