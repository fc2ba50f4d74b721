"""`create_app`: the FastAPI application of one `Veille` (no module-level state).

Handlers that touch the database are plain ``def`` functions: FastAPI runs them in its
threadpool, so a slow query never blocks the event loop for other clients.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core import Veille
from . import security
from .auth import LoginRequired
from .ratelimit import RateLimiter
from .render import install_filters, page
from .state import HERE, WebState

log = logging.getLogger(__name__)

# Scripts only from this site (none inline), no plug-ins, no framing, forms post only here.
# Inline styles are allowed for the SVG charts and maps, which carry presentation attributes.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


class SecurityHeaders:
    """Adds the security headers to every response (a plain ASGI middleware: no per-request task)."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", CSP.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ]
        if hsts:
            self.headers.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in self.headers if h[0] not in present)
                if not static and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(app: Veille) -> FastAPI:
    """The web app and JSON API of ``app`` (its settings, its database)."""
    from . import api, pages_account, pages_admin, pages_curate, pages_reviews, pages_search, pages_stories

    settings = app.settings
    key = security.load_secret_key(settings.web.secret_key, app.data_dir)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.auto_reload = False  # templates ship with the code: no stat() of each file per page
    install_filters(templates.env, settings.timezone)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        import anyio.to_thread

        # Handlers are plain functions run in anyio's threadpool (40 threads by default). Past the
        # database pool's size (models.db) each extra thread opened and closed a connection per
        # request; and threads share one GIL, so the more run at once, the longer a heavy page
        # (a search: 10 ms of CPU) waits behind light ones. 8 measured best of 2, 4, 8 and 16.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.web.threads
        yield
        web.state.web.rate_limiter.close()  # the API counts of the last second

    web = FastAPI(
        lifespan=lifespan,
        title="veille API",
        version="1",
        description=("JSON API of veille, the media watch of the Citizens' Assembly of Paris: search the "
                     "archive, read items, stories, reviews and sources. Authenticate with a per-user token "
                     "(`Authorization: Bearer …`, created on /account); each token has a rate limit per "
                     "minute. See docs/api.md."),
        docs_url="/api/docs", redoc_url=None, openapi_url="/api/openapi.json")
    web.state.web = WebState(app=app, templates=templates,
                             session_signer=security.CookieSigner(key, "session"),
                             csrf_signer=security.CookieSigner(key, "csrf"),
                             rate_limiter=RateLimiter(app.db))
    web.add_middleware(SecurityHeaders, hsts=settings.web.secure_cookies)
    web.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @web.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(exc.next_path, safe='/')}", status_code=303)

    @web.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        messages = {404: "Cette page n'existe pas.", 405: "Cette action n'est pas possible ici."}
        detail = exc.detail if exc.status_code not in messages or exc.detail not in (
            "Not Found", "Method Not Allowed") else messages[exc.status_code]
        response = page(request, "error.html", status=exc.status_code, code=exc.status_code, message=detail)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @web.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = [f"{'.'.join(str(p) for p in error['loc'][1:])}: {error['msg']}" for error in exc.errors()]
        if _is_api(request):
            return JSONResponse({"detail": "invalid parameters", "errors": problems}, status_code=422)
        return page(request, "error.html", status=400, code=400,
                    message="Paramètres invalides : " + "; ".join(problems))

    @web.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if _is_api(request):
            return JSONResponse({"detail": "internal error; it is logged"}, status_code=500)
        return page(request, "error.html", status=500, code=500,
                    message="Une erreur inattendue s'est produite ; elle est enregistrée dans le journal.")

    for module in (pages_account, pages_reviews, pages_curate, pages_stories, pages_search, pages_admin, api):
        web.include_router(module.router)
    return web


def describe(web: FastAPI) -> dict[str, Any]:
    """Routes and their methods, for docs and tests."""
    return {route.path: sorted(getattr(route, "methods", []) or []) for route in web.routes}
