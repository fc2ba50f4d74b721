"""From query-string parameters to a `models.search.SearchRequest`, shared by pages, exports and API.

Parameters (repeat a name for several values): ``q``, ``theme``, ``source``, ``outlet_type``,
``from``/``to`` (YYYY-MM-DD), ``arr`` (1–20), ``entity``, ``story``, ``sort`` (relevance|date),
``page``, ``page_size``.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from ..settings import THEMES

OUTLET_TYPES = ("national", "regional", "local", "institutional", "independent")
MAX_PAGE_SIZE = 100


class BadParameter(ValueError):
    """A filter that cannot be understood; the message (French) says how to write it."""


def _date(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadParameter(f"{name} : date invalide « {value} » (format AAAA-MM-JJ).") from None


def _int(value: str, name: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise BadParameter(f"{name} : « {value} » n'est pas un nombre.") from None
    if not low <= number <= high:
        raise BadParameter(f"{name} : {number} doit être entre {low} et {high}.")
    return number


def request_from(params: QueryParams, *, page_size: int) -> Any:
    from models.search import SearchRequest

    themes = [t for t in params.getlist("theme") if t]
    if any(t not in THEMES for t in themes):
        raise BadParameter(f"thème inconnu ; thèmes : {', '.join(THEMES)}.")
    outlet_types = [t for t in params.getlist("outlet_type") if t]
    if any(t not in OUTLET_TYPES for t in outlet_types):
        raise BadParameter(f"type de média inconnu ; types : {', '.join(OUTLET_TYPES)}.")
    sort = params.get("sort") or "relevance"
    if sort not in ("relevance", "date"):
        raise BadParameter("tri : « relevance » (pertinence) ou « date ».")
    story = params.get("story") or ""
    date_from, date_to = _date(params.get("from", ""), "du"), _date(params.get("to", ""), "au")
    if date_from and date_to and date_from > date_to:
        raise BadParameter("la date de début est après la date de fin.")
    return SearchRequest(
        q=(params.get("q") or "").strip()[:500],
        themes=themes,
        sources=[_int(s, "média", 1, 2**31 - 1) for s in params.getlist("source") if s],
        outlet_types=outlet_types,
        date_from=date_from,
        date_to=date_to,
        arrondissements=[_int(a, "arrondissement", 1, 20) for a in params.getlist("arr") if a],
        entities=[e for e in params.getlist("entity") if e],
        story_id=_int(story, "sujet", 1, 2**31 - 1) if story else None,
        sort=sort,
        page=_int(params.get("page") or "1", "page", 1, 100000),
        page_size=_int(params.get("page_size") or str(page_size), "page_size", 1, MAX_PAGE_SIZE),
    )


def query_string(params: QueryParams, **changes: Any) -> str:
    """The current parameters with some replaced (None removes), for links and pagination."""
    items = [(k, v) for k, v in params.multi_items() if k not in changes]
    for key, value in changes.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            items.extend((key, str(v)) for v in value)
        else:
            items.append((key, str(value)))
    return urlencode(items)


def toggled(params: QueryParams, name: str, value: Any) -> str:
    """Parameters with ``name=value`` added, or removed when it is already there (facet links)."""
    values = params.getlist(name)
    value = str(value)
    new = [v for v in values if v != value] if value in values else values + [value]
    return query_string(params, **{name: new, "page": None})
