"""`veille serve`: uvicorn in front of the web app, in one or several processes."""

from __future__ import annotations

import logging
import os

from fastapi import FastAPI

from ..core import Veille

log = logging.getLogger(__name__)
# How the parent hands its settings to uvicorn's worker processes (not a VEILLE_* override).
SETTINGS_ENV = "_VEILLE_SERVE_SETTINGS"


def app_from_environment() -> FastAPI:
    """The app of a worker process, from the settings the parent put in the environment."""
    import json

    from ..settings import settings_from_dict
    from .app import create_app

    settings = settings_from_dict(json.loads(os.environ[SETTINGS_ENV]), origin="veille serve")
    return create_app(Veille(settings))


def serve(app: Veille, host: str | None = None, port: int | None = None) -> None:
    import uvicorn

    from .app import create_app

    app.db  # fail now, with the database's own message, if it is missing or out of date
    host = host or app.settings.web.host
    port = port or app.settings.web.port
    workers = app.settings.web.workers
    log.info("serving on http://%s:%s with %d process(es)", host, port, workers)
    options = {"host": host, "port": port, "log_level": "warning", "proxy_headers": True, "server_header": False}
    if workers == 1:
        uvicorn.run(create_app(app), **options)  # type: ignore[arg-type]
        return
    create_app(app)  # creates the secret key file once, before the workers race for it
    settings = app.settings.model_dump(mode="json", by_alias=True, exclude={"config_path"})
    settings["data_dir"] = str(app.data_dir)  # absolute: workers do not know the config file's folder
    os.environ[SETTINGS_ENV] = __import__("json").dumps(settings)
    uvicorn.run("veille.web.server:app_from_environment", factory=True, workers=workers,
                **options)  # type: ignore[arg-type]
