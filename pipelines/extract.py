"""Extract: main text and metadata of a fetched page (trafilatura), with the final URL.

Dates: the feed's date first, then the page's own metadata, then htmldate's wider search,
and the first-seen time as a last resort (flagged). A page whose text is too short to be
the article (paywall, consent wall) keeps the feed summary and is flagged
``extraction_short``; it is never dropped silently. Only an item with nothing readable at
all (no text, no summary, no title) is dropped, with its reason.

Measured on ../shared/corpora/extraction (428 pages, README scoring rule, trafilatura
2.3.1): these options give F1 0.936 against 0.930 for bare ``trafilatura.extract``; the
whole difference is ``include_comments=False`` (comments are boilerplate for a review).
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from .document import Document
from .stages import DocumentStage, Drop

log = logging.getLogger(__name__)

__all__ = ["ExtractOptions", "ExtractStage", "content_hash", "detect_language", "extract_page"]

# Below this share of printable characters in the first 4 KB, the bytes are not a web page.
MIN_PRINTABLE_SHARE = 0.85
# Pages of the extraction corpus have at most ~12,000 elements; trafilatura's cost grows
# much faster than linearly with the tree (a 5 MB page of 300,000 spans ran for minutes),
# so a tree larger than this is refused with a reason instead of stalling a worker.
MAX_ELEMENTS = 40_000
# Oldest date we believe for a news item; anything before is a parsing accident.
OLDEST_PLAUSIBLE = datetime(1995, 1, 1, tzinfo=timezone.utc)
WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)


# libxml2 checks each new attribute of a tag against the previous ones: a tag with 100,000
# attributes takes minutes to parse. A tag this long with this many "=" is not an article's.
_LONG_TAG = re.compile(rb"<[A-Za-z][^<>]{20000,}>")
MAX_TAG_ATTRIBUTES = 1000


def too_many_attributes(html: bytes) -> bool:
    return any(match.group().count(b"=") > MAX_TAG_ATTRIBUTES for match in _LONG_TAG.finditer(html))


@dataclass(frozen=True)
class ExtractOptions:
    min_text_chars: int = 250
    languages: tuple[str, ...] = ()  # allowed languages; empty means all
    include_tables: bool = True
    include_comments: bool = False
    max_html_bytes: int = 5 * 1024 * 1024 + 1024
    max_elements: int = MAX_ELEMENTS
    now: datetime | None = None  # for tests; default: the current time


@dataclass
class PageExtraction:
    """What trafilatura found on one page (the `veille extract --json` record)."""

    text: str | None = None
    title: str | None = None
    author: str | None = None
    date: str | None = None  # ISO date as the page gives it
    date_source: str | None = None  # page | htmldate
    site_name: str | None = None
    description: str | None = None
    image: str | None = None
    language: str | None = None
    url: str | None = None
    problems: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"url": self.url, "title": self.title, "author": self.author, "date": self.date,
                "date_source": self.date_source, "language": self.language, "site_name": self.site_name,
                "description": self.description, "image": self.image, "text": self.text,
                "problems": self.problems}


def looks_binary(html: bytes) -> bool:
    """True for bytes that are not text (an image or PDF served as text/html)."""
    head = html[:4096]
    if not head:
        return False
    if b"\x00" in head:
        return True
    try:
        decoded = head.decode("utf-8", errors="replace")
    except Exception:  # pragma: no cover - decode with errors="replace" does not raise
        return True
    printable = sum(1 for ch in decoded if ch.isprintable() or ch in "\r\n\t")
    return printable / max(1, len(decoded)) < MIN_PRINTABLE_SHARE


def extract_page(html: bytes, url: str | None, options: ExtractOptions = ExtractOptions(),
                 *, search_date: bool = True) -> PageExtraction:
    """Main text and metadata of one page; problems are listed, never raised."""
    import trafilatura

    result = PageExtraction(url=url)
    if not html or not html.strip():
        result.problems.append("empty_page")
        return result
    if len(html) > options.max_html_bytes:
        result.problems.append("page_too_large")
        return result
    if looks_binary(html):
        result.problems.append("binary_content")
        return result
    if too_many_attributes(html):
        result.problems.append("page_too_complex")
        return result
    from trafilatura.utils import load_html

    tree = load_html(html)  # trafilatura's own decoding and parsing, done once
    if tree is None:
        result.problems.append("unparsable_page")
        return result
    if sum(1 for _ in tree.iter()) > options.max_elements:
        result.problems.append("page_too_complex")
        return result
    try:
        found = trafilatura.bare_extraction(
            tree, url=url, with_metadata=True, include_comments=options.include_comments,
            include_tables=options.include_tables,
            # Page metadata only (meta tags, JSON-LD, the URL); htmldate's wider search comes later.
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except Exception as exc:  # lxml and trafilatura raise many kinds on broken markup
        log.warning("extraction failed for %s: %s: %s", url, exc.__class__.__name__, exc)
        result.problems.append("extraction_error")
        return result
    if found is None:
        result.problems.append("no_main_text")
        return result
    data = found.as_dict() if hasattr(found, "as_dict") else dict(found)
    result.text = _clean(data.get("text"))
    result.title = _clean(data.get("title"))
    result.author = _clean(data.get("author"))
    result.site_name = _clean(data.get("sitename"))
    result.description = _clean(data.get("description"))
    result.image = _clean(data.get("image"))
    if data.get("date"):
        result.date, result.date_source = str(data["date"]), "page"
    else:
        # htmldate's extensive search is the costliest part of extraction after the text:
        # skipped when the feed already dated the item.
        result.date = _htmldate(html, url) if search_date else None
        result.date_source = "htmldate" if result.date else None
    result.language = detect_language(result.text) or _short_language(data.get("language"))
    return result


def _htmldate(html: bytes, url: str | None) -> str | None:
    from htmldate import find_date

    try:
        return find_date(html, url=url, extensive_search=True, original_date=True)
    except Exception as exc:  # htmldate raises on some broken trees
        log.debug("htmldate failed for %s: %s", url, exc)
        return None


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _short_language(code: Any) -> str | None:
    if not code:
        return None
    short = str(code).strip().lower()[:2]
    return short if re.fullmatch(r"[a-z]{2}", short) else None


def detect_language(text: str | None) -> str | None:
    """ISO 639-1 code of a text (py3langid), or None when there are too few words to tell."""
    if not text or len(WORD.findall(text[:3000])) < 5:
        return None
    import py3langid

    code, _score = py3langid.classify(text[:3000])
    return code


def content_hash(text: str) -> str:
    """sha256 of the words of a text, case and accents folded: equal for the same article body."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    words = WORD.findall("".join(ch for ch in folded if not unicodedata.combining(ch)))
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()


def parse_date(value: str | None) -> datetime | None:
    """A page or htmldate date as an aware UTC datetime (a date alone is noon UTC), or None."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(hour=12) if len(value.strip()) <= 10 else parsed
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


class ExtractStage(DocumentStage):
    name = "extract"

    def __init__(self, options: ExtractOptions = ExtractOptions()) -> None:
        self.options = options

    def process(self, doc: Document) -> Document:
        page = (extract_page(doc.html, doc.final_url or doc.url, self.options,
                             search_date=not self._plausible(doc.feed_published))
                if doc.html is not None else PageExtraction(problems=["no_page"]))
        for problem in page.problems:
            doc.flag(problem)
        doc.site_name = page.site_name
        doc.description = page.description
        doc.image_url = page.image
        doc.author = page.author
        doc.title = doc.feed_title or page.title
        text = page.text or ""
        if len(text) < self.options.min_text_chars:
            # Paywall or consent wall: keep what the feed said, flagged for the facilitators.
            if page.text is not None or not page.problems:
                doc.flag("extraction_short")
            summary = (doc.feed_summary or "").strip()
            text = summary or text
        doc.text = text or None
        if not doc.text and not doc.title:
            raise Drop("nothing_readable", ", ".join(doc.flags) or "no text, summary or title")
        if not WORD.search(f"{doc.title or ''} {doc.text or ''}"):
            raise Drop("no_words", "no word in the title or text (emoji or symbols only)")
        doc.language = page.language or detect_language(doc.text) or doc.source_language
        if self.options.languages and doc.language and doc.language not in self.options.languages:
            raise Drop(f"language:{doc.language}", f"not one of {', '.join(self.options.languages)}")
        self._date(doc, page)
        if "extraction_short" not in doc.flags and doc.text:
            doc.content_hash = content_hash(doc.text)
        return doc

    def _plausible(self, value: datetime | None) -> bool:
        now = self.options.now or datetime.now(timezone.utc)
        return value is not None and OLDEST_PLAUSIBLE <= value <= now + timedelta(days=1)

    def _date(self, doc: Document, page: PageExtraction) -> None:
        now = self.options.now or datetime.now(timezone.utc)
        candidates = [(doc.feed_published, "feed"), (parse_date(page.date), page.date_source or "page")]
        for value, origin in candidates:
            if value is not None and OLDEST_PLAUSIBLE <= value <= now + timedelta(days=1):
                doc.published_at, doc.date_source = value, origin
                return
            if value is not None:
                doc.flag("date_implausible")
        doc.published_at = doc.first_seen or now
        doc.date_source = "first_seen"
        doc.date_suspect = True
        doc.flag("date_suspect")
