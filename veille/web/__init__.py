"""The web app and JSON API (FastAPI + Jinja2), built by `create_app`."""

from .app import create_app

__all__ = ["create_app"]
