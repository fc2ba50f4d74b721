"""The web app's per-instance state (no module-level state: each `create_app` has its own)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from ..core import Veille
from ..settings import Settings
from .queue import QueueCache
from .ratelimit import RateLimiter
from .security import CookieSigner

SESSION_COOKIE = "veille_session"
CSRF_COOKIE = "veille_csrf"
HERE = Path(__file__).parent


@dataclass
class WebState:
    app: Veille
    templates: Jinja2Templates
    session_signer: CookieSigner
    csrf_signer: CookieSigner
    rate_limiter: RateLimiter
    queue_cache: QueueCache = field(default_factory=QueueCache)

    @property
    def settings(self) -> Settings:
        return self.app.settings


def web_state(request: Request) -> WebState:
    return request.app.state.web
