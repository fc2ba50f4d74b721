"""Who is asking, and may they: sessions, roles, CSRF checks, API tokens and rate limits.

Every route declares what it needs with ``Depends(need(Capability))``; the role table is
`CAPABILITIES`, the one place to read who may do what.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Callable

from fastapi import HTTPException, Request
from sqlalchemy import bindparam, delete, select, update

from models import ApiToken, Role, User, WebSession, utcnow

from . import security
from .state import SESSION_COOKIE, CSRF_COOKIE, web_state


class Capability(str, Enum):
    read = "read"            # read published reviews (when they are members-only)
    curate = "curate"        # inbox, labels, pins, notes, stories, publish, audit log
    search = "search"        # archive search, coverage, map, exports, API search
    admin = "admin"          # sources, runs, users


CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.member.value: frozenset({Capability.read}),
    Role.analyst.value: frozenset({Capability.read, Capability.search}),
    Role.facilitator.value: frozenset({Capability.read, Capability.curate, Capability.search}),
    Role.admin.value: frozenset(Capability),
}

ROLE_LABELS = {"member": "membre", "facilitator": "animateur·rice", "analyst": "analyste", "admin": "administrateur·rice"}


@dataclass(frozen=True)
class Viewer:
    id: int
    name: str
    role: str
    csrf: str
    session_id: str | None = None  # None when authenticated by an API token
    token_id: int | None = None

    def can(self, capability: Capability) -> bool:
        return capability in CAPABILITIES.get(self.role, frozenset())

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)


class LoginRequired(Exception):
    """Raised by a page that needs a login; becomes a redirect to /login (or a 401 for the API)."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


SESSION_LOOKUP = (select(WebSession.id, WebSession.csrf_token, WebSession.expires_at, User.id, User.name, User.role)
                  .join(User, User.id == WebSession.user_id)
                  .where(WebSession.id == bindparam("session_id"), User.active.is_(True)))


def viewer_of(request: Request) -> Viewer | None:
    """The logged-in user of this request, looked up once (one query)."""
    if "viewer" in request.state._state:
        return request.state.viewer
    state = web_state(request)
    viewer = None
    token = state.session_signer.unsign(request.cookies.get(SESSION_COOKIE))
    if token:
        # A Core connection and a statement built once: 60 µs where an ORM session took 230 µs,
        # on every page.
        with state.app.db.engine.connect() as connection:
            row = connection.execute(SESSION_LOOKUP, {"session_id": security.digest(token)}).first()
        if row is not None and row[2] > utcnow():
            viewer = Viewer(id=row[3], name=row[4], role=row[5], csrf=row[1], session_id=row[0])
    request.state.viewer = viewer
    return viewer


def need(capability: Capability | None) -> Callable[[Request], Viewer]:
    """A dependency: the viewer, who must be logged in and (if given) hold ``capability``."""

    def dependency(request: Request) -> Viewer:
        viewer = viewer_of(request)
        if viewer is None:
            path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired(path)
        if capability is not None and not viewer.can(capability):
            raise HTTPException(403, "Votre rôle ne permet pas d'ouvrir cette page.")
        return viewer

    return dependency


def optional_viewer(request: Request) -> Viewer | None:
    return viewer_of(request)


def anonymous_csrf(request: Request) -> str:
    """The CSRF token of a visitor who is not logged in (login form), kept in a signed cookie."""
    if "anon_csrf" in request.state._state:
        return request.state.anon_csrf
    state = web_state(request)
    token = state.csrf_signer.unsign(request.cookies.get(CSRF_COOKIE))
    if not token:
        token = security.new_token()
        request.state.set_anon_csrf = True
    request.state.anon_csrf = token
    return token


def csrf_token_for(request: Request) -> str:
    viewer = viewer_of(request)
    return viewer.csrf if viewer is not None else anonymous_csrf(request)


async def csrf_protect(request: Request) -> None:
    """Every POST form carries the session's CSRF token; a missing or wrong one is refused."""
    form = await request.form()
    sent = form.get("csrf_token")
    state = web_state(request)
    expected: str | None
    token = state.session_signer.unsign(request.cookies.get(SESSION_COOKIE))
    if token:
        with state.app.db.reader() as session:
            expected = session.scalar(select(WebSession.csrf_token).where(WebSession.id == security.digest(token)))
    else:
        expected = state.csrf_signer.unsign(request.cookies.get(CSRF_COOKIE))
    if not security.same(sent if isinstance(sent, str) else None, expected):
        raise HTTPException(403, "Le formulaire a expiré ou ne vient pas de ce site : "
                                 "rechargez la page et recommencez.")


def start_session(request: Request, user_id: int) -> str:
    """A brand-new session for ``user_id`` (any session the browser came with is dropped)."""
    state = web_state(request)
    old = state.session_signer.unsign(request.cookies.get(SESSION_COOKIE))
    token = security.new_token()
    with state.app.db.transaction() as session:
        if old:
            session.execute(delete(WebSession).where(WebSession.id == security.digest(old)))
        session.execute(delete(WebSession).where(WebSession.user_id == user_id,
                                                 WebSession.expires_at < utcnow()))
        session.add(WebSession(id=security.digest(token), user_id=user_id, csrf_token=security.new_token(),
                               expires_at=utcnow() + timedelta(hours=state.settings.web.session_hours)))
        session.execute(update(User).where(User.id == user_id).values(last_login_at=utcnow()))
    return state.session_signer.sign(token)


def end_session(request: Request) -> None:
    state = web_state(request)
    token = state.session_signer.unsign(request.cookies.get(SESSION_COOKIE))
    if token:
        with state.app.db.transaction() as session:
            session.execute(delete(WebSession).where(WebSession.id == security.digest(token)))


class ApiError(HTTPException):
    pass


def api_viewer(request: Request) -> Viewer:
    """API callers: a Bearer token (``Authorization: Bearer vl_…``) or a logged-in browser.

    Each caller has ``web.api_rate_limit`` requests per minute; past it, 429 with Retry-After.
    """
    state = web_state(request)
    header = request.headers.get("authorization", "")
    viewer: Viewer | None = None
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "use the header `Authorization: Bearer <token>`",
                           headers={"WWW-Authenticate": "Bearer"})
        with state.app.db.reader() as session:
            row = session.execute(
                select(ApiToken.id, User.id, User.name, User.role)
                .join(User, User.id == ApiToken.user_id)
                .where(ApiToken.token_hash == security.digest(token.strip()), ApiToken.revoked_at.is_(None),
                       User.active.is_(True))).first()
        if row is None:
            raise ApiError(401, "unknown or revoked API token", headers={"WWW-Authenticate": "Bearer"})
        viewer = Viewer(id=row[1], name=row[2], role=row[3], csrf="", token_id=row[0])
    else:
        viewer = viewer_of(request)
        if viewer is None:
            raise ApiError(401, "authentication required: create a token on /account and send "
                                "`Authorization: Bearer <token>`", headers={"WWW-Authenticate": "Bearer"})
    limit = state.settings.web.api_rate_limit
    key = f"api:token:{viewer.token_id}" if viewer.token_id else f"api:user:{viewer.id}"
    # Counted in memory and written about once a second (veille/web/ratelimit.py): no write
    # transaction per API request.
    count = state.rate_limiter.hit(key, viewer.token_id)
    request.state.rate = (limit, max(0, limit - count))
    if count > limit:
        raise ApiError(429, f"rate limit of {limit} requests per minute reached; retry in a minute",
                       headers={"Retry-After": "60"})
    return viewer


def api_need(capability: Capability) -> Callable[[Request], Viewer]:
    def dependency(request: Request) -> Viewer:
        viewer = api_viewer(request)
        if not viewer.can(capability):
            raise ApiError(403, f"the role {viewer.role!r} cannot use this endpoint")
        return viewer

    return dependency
