"""`veille extract`: the extraction stage on files or URLs, outside the archive.

URLs are fetched with httpx under the crawler's limits (timeouts, size cap, redirects,
User-Agent from settings.watch). The crawler's own client (watch/) is the seam for the
archive; this command only reads what the operator names on the command line.
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
    import httpx

    from importlib.metadata import version

    watch = app.settings.watch
    agent = watch.user_agent.format(version=version("veille"), contact_url=watch.contact_url)
    timeout = httpx.Timeout(watch.total_timeout, connect=watch.connect_timeout, read=watch.read_timeout)
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=watch.max_redirects,
                          headers={"User-Agent": agent}) as client:
            with client.stream("GET", url) as response:
                if response.status_code >= 400:
                    raise InputError(f"{url}: HTTP {response.status_code}")
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > watch.max_article_bytes:
                        raise InputError(f"{url}: larger than {watch.max_article_bytes} bytes "
                                         "(watch.max_article_bytes)")
                    chunks.append(chunk)
                return Fetched(b"".join(chunks), str(response.url))
    except httpx.HTTPError as exc:
        raise InputError(f"{url}: {exc.__class__.__name__}: {exc}") from None


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
