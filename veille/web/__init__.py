"""The web app and JSON API (FastAPI + Jinja2), built by `create_app`."""
