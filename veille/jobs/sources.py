"""Source jobs: health status, import and export (OPML, YAML), feed discovery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select

from models import ItemSource, Source, utcnow
from watch import Fetcher
from watch.discover import FoundFeed, discover_feeds
from watch.opml import SourceFileError, from_opml, from_yaml, to_opml, to_yaml
from watch.sources import SyncReport, upsert_sources

from ..core import Veille
from ..settings import ConfigError, SourceConfig, describe_validation_error
from .crawl import http_options
from .setup import source_declaration

__all__ = ["SourceStatus", "source_status", "export_sources", "import_sources", "discover", "health_of"]

STATUS_WINDOW_DAYS = 7


@dataclass
class SourceStatus:
    name: str
    url: str
    kind: str
    health: str  # ok | failing | rate_limited | disabled | new
    last_outcome: str | None
    last_success_at: datetime | None
    next_check_at: datetime | None
    items_per_day: float
    consecutive_failures: int
    error_counts: dict[str, int]
    last_error: str | None
    disabled_reason: str | None

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        for key in ("last_success_at", "next_check_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


def health_of(source: Source) -> str:
    if not source.enabled:
        return "disabled"
    if source.last_outcome is None:
        return "new"
    if source.last_outcome == "rate_limited":
        return "rate_limited"
    if source.consecutive_failures:
        return "failing"
    return "ok"


def source_status(app: Veille, now: datetime | None = None) -> list[SourceStatus]:
    now = now or utcnow()
    since = now - timedelta(days=STATUS_WINDOW_DAYS)
    with app.db.reader() as session:
        counts = dict(session.execute(select(ItemSource.source_id, func.count(ItemSource.id))
                                      .where(ItemSource.first_seen_at >= since)
                                      .group_by(ItemSource.source_id)).all())
        rows = []
        for source in session.scalars(select(Source).order_by(Source.name)):
            rows.append(SourceStatus(
                name=source.name, url=source.url, kind=source.kind, health=health_of(source),
                last_outcome=source.last_outcome, last_success_at=source.last_success_at,
                next_check_at=source.next_check_at,
                items_per_day=round(counts.get(source.id, 0) / STATUS_WINDOW_DAYS, 1),
                consecutive_failures=source.consecutive_failures or 0,
                error_counts={k: v for k, v in (source.error_counts or {}).items()
                              if k not in ("ok", "not_modified")},
                last_error=source.last_error, disabled_reason=source.disabled_reason))
    return rows


def declarations(app: Veille) -> list[dict[str, Any]]:
    """Every source as a declaration (the shape of config.yaml's `sources:`)."""
    with app.db.reader() as session:
        result = []
        for source in session.scalars(select(Source).order_by(Source.name)):
            spec: dict[str, Any] = {"name": source.name, "url": source.url, "kind": source.kind,
                                    "language": source.language, "outlet_type": source.outlet_type,
                                    "enabled": source.enabled}
            spec.update(source.options or {})
            result.append(spec)
    return result


def export_sources(app: Veille, fmt: str) -> str:
    if fmt == "opml":
        return to_opml(declarations(app))
    if fmt == "yaml":
        return to_yaml(declarations(app))
    raise ConfigError(f"unknown format {fmt!r}: use yaml or opml")


def read_source_file(path: Path) -> list[SourceConfig]:
    """Read and validate an OPML or YAML source list; errors name the source and the key."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    looks_opml = path.suffix.lower() in (".opml", ".xml") or text.lstrip().startswith(("<?xml", "<opml"))
    try:
        specs = from_opml(text) if looks_opml else from_yaml(text)
    except SourceFileError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    sources: list[SourceConfig] = []
    names: set[str] = set()
    for n, spec in enumerate(specs, start=1):
        try:
            source = SourceConfig.model_validate(spec)
        except ValidationError as exc:
            label = spec.get("name") or f"source {n}"
            raise ConfigError(describe_validation_error(exc, f"{path}: {label}")) from None
        if source.name in names:
            raise ConfigError(f"{path}: two sources are named {source.name!r}; names must be unique")
        names.add(source.name)
        sources.append(source)
    return sources


def import_sources(app: Veille, path: Path) -> SyncReport:
    sources = read_source_file(path)
    with app.db.transaction() as session:
        return upsert_sources(session, [source_declaration(s) for s in sources], origin="import")


def discover(app: Veille, url: str) -> list[FoundFeed]:
    with Fetcher(http_options(app.settings.watch)) as fetcher:
        return discover_feeds(fetcher, url)
