"""`veille serve`: uvicorn in front of the web app."""

from __future__ import annotations

import logging

from ..core import Veille

log = logging.getLogger(__name__)


def serve(app: Veille, host: str | None = None, port: int | None = None) -> None:
    import uvicorn

    from .app import create_app

    app.db  # fail now, with the database's own message, if it is missing or out of date
    web = create_app(app)
    host = host or app.settings.web.host
    port = port or app.settings.web.port
    log.info("serving on http://%s:%s", host, port)
    uvicorn.run(web, host=host, port=port, log_level="warning", proxy_headers=True, server_header=False)
