"""`veille extract`: the extraction stage on files or URLs, outside the archive.

URLs are fetched through the crawler's client seam (`watch.fetch_page`: timeouts, size cap,
redirects, private-network guard, User-Agent from settings.watch); no robots.txt check,
since a person named the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from pipelines.extract import ExtractOptions, extract_page

from ..core import Veille


class InputError(Exception):
    """One input could not be read or fetched; the message says why."""


@dataclass
class Fetched:
    body: bytes
    final_url: str


def extract_options(app: Veille) -> ExtractOptions:
    settings = app.settings.pipelines
    return ExtractOptions(min_text_chars=settings.min_text_chars, languages=tuple(settings.languages),
                          max_html_bytes=app.settings.watch.max_article_bytes)


def fetch(app: Veille, url: str) -> Fetched:
    """The page through the crawler's client seam (caps, timeouts, redirects, private-network guard)."""
    from watch import FetchError, fetch_page

    from .crawl import http_options

    try:
        response = fetch_page(url, http_options(app.settings.watch), max_bytes=app.settings.watch.max_article_bytes)
    except FetchError as exc:
        raise InputError(f"{url}: {exc}") from None
    return Fetched(response.content, response.url)


def extract_inputs(app: Veille, inputs: list[str], url: str | None = None) -> Iterator[dict[str, Any]]:
    """One record per input: the extraction, or ``{"input", "error"}``."""
    options = extract_options(app)
    for name in inputs:
        try:
            if name.startswith(("http://", "https://")):
                fetched = fetch(app, name)
                body, page_url = fetched.body, fetched.final_url
            else:
                path = Path(name)
                try:
                    body = path.read_bytes()
                except OSError as exc:
                    raise InputError(f"{name}: cannot be read: {exc.strerror}") from None
                page_url = url
        except InputError as exc:
            yield {"input": name, "error": str(exc)}
            continue
        record = extract_page(body, page_url, options).as_json()
        yield {"input": name, **record}
