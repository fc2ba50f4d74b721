"""`veille serve`: uvicorn in front of the web app."""

from __future__ import annotations

from ..cli.common import CommandError
from ..core import Veille


def serve(app: Veille, host: str | None = None, port: int | None = None) -> None:
    raise CommandError("`veille serve` is not built yet (issue 7)", 4)
