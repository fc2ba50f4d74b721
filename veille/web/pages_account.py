"""Login, logout, and the account page (password, API tokens)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select, update

from models import ApiToken, User, utcnow

from ..accounts import AccountError, check_password_strength, hash_password, issue_token, verify_password
from . import security
from .auth import Viewer, csrf_protect, end_session, need, start_session, viewer_of
from .render import page, redirect
from .state import SESSION_COOKIE, web_state

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
LOGIN_WINDOW = 15 * 60


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    return page(request, "login.html", next=security.safe_next(next))


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/login", dependencies=[Depends(csrf_protect)])
def login(request: Request, name: str = Form(""), password: str = Form(""), next: str = Form("/")) -> Response:
    state = web_state(request)
    limit = state.settings.web.login_attempts
    keys = (f"login:name:{name.strip().lower()[:100]}", f"login:ip:{_client(request)}")
    with state.app.db.reader() as session:
        throttled = any(security.current(session, key, LOGIN_WINDOW) >= limit * (4 if "ip:" in key else 1)
                        for key in keys)
    if throttled:
        log.warning("login throttled for %r from %s", name, _client(request))
        return page(request, "login.html", status=429, next=security.safe_next(next), name=name,
                    error="Trop de tentatives de connexion : réessayez dans un quart d'heure.")
    with state.app.db.reader() as session:
        user = session.scalar(select(User).where(User.name == name.strip()))
    ok = user is not None and user.active and verify_password(user.password_hash, password)
    if not ok:
        with state.app.db.transaction() as session:
            for key in keys:
                security.hit(session, key, LOGIN_WINDOW)
        return page(request, "login.html", status=401, next=security.safe_next(next), name=name,
                    error="Nom ou mot de passe incorrect.")
    assert user is not None
    cookie = start_session(request, user.id)
    with state.app.db.transaction() as session:
        security.forget(session, keys[0])
        security.prune(session)
    response = RedirectResponse(security.safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, cookie, httponly=True, samesite="lax", path="/",
                        secure=state.settings.web.secure_cookies,
                        max_age=state.settings.web.session_hours * 3600)
    return response


@router.post("/logout", dependencies=[Depends(csrf_protect)])
def logout(request: Request) -> Response:
    end_session(request)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, viewer: Viewer = Depends(need(None))) -> Response:
    with web_state(request).app.db.reader() as session:
        tokens = session.scalars(select(ApiToken).where(ApiToken.user_id == viewer.id)
                                 .order_by(ApiToken.created_at.desc())).all()
    return page(request, "account.html", tokens=tokens)


@router.post("/account/tokens", dependencies=[Depends(csrf_protect)])
def create_token(request: Request, label: str = Form(""), viewer: Viewer = Depends(need(None))) -> Response:
    with web_state(request).app.db.transaction() as session:
        user = session.get(User, viewer.id)
        token = issue_token(session, user, label=label.strip()[:100] or None)
        tokens = session.scalars(select(ApiToken).where(ApiToken.user_id == viewer.id)
                                 .order_by(ApiToken.created_at.desc())).all()
    return page(request, "account.html", tokens=tokens, new_token=token)


@router.post("/account/tokens/{token_id}/revoke", dependencies=[Depends(csrf_protect)])
def revoke_token(request: Request, token_id: int, viewer: Viewer = Depends(need(None))) -> Response:
    with web_state(request).app.db.transaction() as session:
        done = session.execute(update(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == viewer.id,
                                                      ApiToken.revoked_at.is_(None))
                               .values(revoked_at=utcnow())).rowcount
    if not done:
        raise HTTPException(404, "Ce jeton n'existe pas ou est déjà révoqué.")
    return redirect("/account", "token")


@router.post("/account/password", dependencies=[Depends(csrf_protect)])
def change_password(request: Request, current: str = Form(""), new: str = Form(""),
                    viewer: Viewer = Depends(need(None))) -> Response:
    state = web_state(request)
    with state.app.db.transaction() as session:
        user = session.get(User, viewer.id)
        if not verify_password(user.password_hash, current):
            error = "Le mot de passe actuel est incorrect."
        else:
            try:
                check_password_strength(new)
            except AccountError:
                error = "Le nouveau mot de passe doit avoir au moins 10 caractères."
            else:
                user.password_hash = hash_password(new)
                error = None
        tokens = session.scalars(select(ApiToken).where(ApiToken.user_id == viewer.id)).all()
    if error:
        return page(request, "account.html", status=400, tokens=tokens, error=error)
    return redirect("/account", "password")


def logged_in(request: Request) -> bool:
    return viewer_of(request) is not None
