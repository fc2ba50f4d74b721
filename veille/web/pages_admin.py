"""Operators' pages: sources and their health, runs and their counters, accounts and roles."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from models import AuditEntry, Item, Role, Run, Source, User, WebSession, utcnow
from sqlalchemy import delete

from ..accounts import AccountError, create_user
from .auth import Capability, Viewer, csrf_protect, need
from .render import page, redirect
from .state import web_state

router = APIRouter(include_in_schema=False)
ADMIN = Depends(need(Capability.admin))


def source_health(session, days: int = 7) -> list[dict]:  # type: ignore[no-untyped-def]
    """Every source with its health and items published per day over ``days`` (two queries in all)."""
    since = utcnow() - timedelta(days=days)
    per_source = dict(session.execute(
        # By publication date: its index serves the range (first_seen_at has none; 120 ms at 10k items).
        select(Item.source_id, func.count()).where(Item.published_at >= since).group_by(Item.source_id)).all())
    rows = []
    for source in session.scalars(select(Source).order_by(Source.name)):
        if not source.enabled:
            status = "disabled"
        elif source.consecutive_failures:
            status = "failing"
        elif source.last_success_at is None:
            status = "new"
        else:
            status = "ok"
        rows.append({"source": source, "status": status,
                     "per_day": round(per_source.get(source.id, 0) / days, 1),
                     "errors": sorted((source.error_counts or {}).items(), key=lambda kv: -int(kv[1] or 0))})
    return rows


@router.get("/admin/sources", response_class=HTMLResponse)
def sources(request: Request, viewer: Viewer = ADMIN) -> Response:
    with web_state(request).app.db.reader() as session:
        rows = source_health(session)
    return page(request, "admin_sources.html", rows=rows)


@router.get("/admin/runs", response_class=HTMLResponse)
def runs(request: Request, kind: str = "", viewer: Viewer = ADMIN) -> Response:
    query = select(Run).order_by(Run.started_at.desc()).limit(100)
    if kind:
        query = query.where(Run.kind == kind)
    with web_state(request).app.db.reader() as session:
        rows = session.scalars(query).all()
    return page(request, "admin_runs.html", runs=rows, kind=kind)


@router.get("/admin/users", response_class=HTMLResponse)
def users(request: Request, viewer: Viewer = ADMIN) -> Response:
    with web_state(request).app.db.reader() as session:
        rows = session.scalars(select(User).order_by(User.name)).all()
    return page(request, "admin_users.html", users=rows, roles=[r.value for r in Role])


@router.post("/admin/users", dependencies=[Depends(csrf_protect)])
def add_user(request: Request, name: str = Form(...), role: str = Form(...), password: str = Form(...),
             email: str = Form(""), viewer: Viewer = ADMIN) -> Response:
    state = web_state(request)
    try:
        with state.app.db.transaction() as session:
            user = create_user(session, name.strip(), role, password, email.strip() or None)
            session.add(AuditEntry(user_id=viewer.id, actor=viewer.name, action="create_user", target_type="user",
                                   target_id=str(user.id), details={"name": user.name, "role": role}))
    except AccountError as exc:
        with state.app.db.reader() as session:
            rows = session.scalars(select(User).order_by(User.name)).all()
        return page(request, "admin_users.html", status=400, users=rows, roles=[r.value for r in Role],
                    error=_french_account_error(str(exc)))
    return redirect("/admin/users", "user")


def _french_account_error(message: str) -> str:
    if "already exists" in message:
        return "Ce nom d'utilisateur existe déjà."
    if "password" in message:
        return "Le mot de passe doit avoir au moins 10 caractères."
    if "role" in message:
        return "Rôle inconnu."
    return "Nom d'utilisateur invalide : 1 à 100 lettres, chiffres, « . », « - » ou « _ »."


@router.post("/admin/users/{user_id}", dependencies=[Depends(csrf_protect)])
def change_user(request: Request, user_id: int, role: str = Form(...), active: str = Form(""),
                viewer: Viewer = ADMIN) -> Response:
    if role not in {r.value for r in Role}:
        raise HTTPException(400, "Rôle inconnu.")
    with web_state(request).app.db.transaction() as session:
        user = session.get(User, user_id)
        if user is None:
            raise HTTPException(404, "Ce compte n'existe pas.")
        if user.id == viewer.id and (role != Role.admin.value or not active):
            raise HTTPException(400, "Vous ne pouvez pas retirer votre propre rôle d'administration.")
        before = {"role": user.role, "active": user.active}
        user.role, user.active = role, bool(active)
        if not user.active or user.role != before["role"]:
            session.execute(delete(WebSession).where(WebSession.user_id == user.id))  # log them out
        session.add(AuditEntry(user_id=viewer.id, actor=viewer.name, action="change_user", target_type="user",
                               target_id=str(user.id), details={"before": before,
                                                                "after": {"role": role, "active": user.active}}))
    return redirect("/admin/users", "user")
