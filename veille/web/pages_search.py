"""Analysts' pages: search with filters and facets, coverage over time, the map, CSV and JSON exports."""

from __future__ import annotations

import csv
import io
import json
import logging
from datetime import date, datetime
from typing import Any, Iterator

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from .auth import Capability, Viewer, need
from .charts import COLOURS, coverage_series, line_chart_svg
from .render import THEME_LABELS, page
from .searching import BadParameter, query_string, request_from, toggled
from .state import web_state

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
SEARCH = Depends(need(Capability.search))
# Facet name (as models.search returns it) → query parameter.
FACET_PARAMS = {"themes": "theme", "theme": "theme", "sources": "source", "source": "source",
                "outlet_types": "outlet_type", "outlet_type": "outlet_type", "arrondissements": "arr",
                "arrondissement": "arr", "entities": "entity", "entity": "entity", "stories": "story",
                "story": "story"}
FACET_TITLES = {"theme": "Thème", "source": "Média", "outlet_type": "Type de média", "arr": "Arrondissement",
                "entity": "Personnes et organisations", "story": "Sujet"}
EXPORT_FIELDS = ("item_id", "title", "url", "source", "outlet_type", "published_at", "themes", "score")


def _bad(request: Request, message: str, **context: Any) -> Response:
    return page(request, "search.html", status=400, error=message, result=None, facets=[],
                params=request.query_params, **context)


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, viewer: Viewer = SEARCH) -> Response:
    from models.search import QueryError, search

    state = web_state(request)
    params = request.query_params
    try:
        search_request = request_from(params, page_size=state.settings.web.page_size)
    except BadParameter as exc:
        return _bad(request, str(exc))
    result = None
    if params:
        try:
            with state.app.db.reader() as session:
                result = search(session, search_request)
        except QueryError as exc:
            return _bad(request, _query_error(exc))
    facets = []
    if result is not None:
        for name, values in (result.facets or {}).items():
            param = FACET_PARAMS.get(name, name)
            selected = set(params.getlist(param))
            facets.append({"title": FACET_TITLES.get(param, name), "param": param,
                           "values": [{"value": v, "label": _facet_label(param, v, label), "count": c,
                                       "selected": str(v) in selected, "link": toggled(params, param, v)}
                                      for v, label, c in values]})
    pages = 0
    if result is not None:
        pages = (result.total + search_request.page_size - 1) // search_request.page_size
    return page(request, "search.html", params=params, result=result, facets=facets, req=search_request,
                pages=pages, prev_link=query_string(params, page=search_request.page - 1),
                next_link=query_string(params, page=search_request.page + 1),
                export_query=query_string(params, page=None, page_size=None),
                sort_links={s: query_string(params, sort=s, page=None) for s in ("relevance", "date")})


def _query_error(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc)
    position = getattr(exc, "position", None)
    where = f" (caractère {position + 1})" if isinstance(position, int) else ""
    return f"Requête mal formée : {message}{where}"


def _facet_label(param: str, value: Any, label: Any) -> str:
    if param == "theme":
        return THEME_LABELS.get(str(value), str(label or value))
    if param == "arr":
        number = int(value)
        return f"{number}{'er' if number == 1 else 'e'} arrondissement"
    return str(label or value)


@router.get("/search/coverage", response_class=HTMLResponse)
def coverage_page(request: Request, viewer: Viewer = SEARCH) -> Response:
    from models.search import QueryError, coverage

    state = web_state(request)
    try:
        search_request = request_from(request.query_params, page_size=state.settings.web.page_size)
        with state.app.db.reader() as session:
            rows = coverage(session, search_request)
    except BadParameter as exc:
        return _bad(request, str(exc))
    except QueryError as exc:
        return _bad(request, _query_error(exc))
    weeks, series = coverage_series(rows)
    labels = {**THEME_LABELS, "*": "Tous les résultats", "all": "Tous les résultats", "none": "Sans thème"}
    counts_svg = line_chart_svg(weeks, series, share=False, labels=labels,
                                title="Articles par semaine et par thème")
    share_svg = line_chart_svg(weeks, series, share=True, labels=labels,
                               title="Part de tous les articles de la semaine, par thème")
    table = [(w, [(theme, series[theme].get(w, (0, 0.0))) for theme in series]) for w in weeks]
    return page(request, "coverage.html", params=request.query_params, counts_svg=counts_svg,
                share_svg=share_svg, series=list(series), colours=COLOURS, labels=labels, table=table,
                back=query_string(request.query_params))


@router.get("/search/map", response_class=HTMLResponse)
def map_page(request: Request, viewer: Viewer = SEARCH) -> Response:
    import digests
    from models.search import QueryError, arrondissement_counts

    state = web_state(request)
    try:
        search_request = request_from(request.query_params, page_size=state.settings.web.page_size)
        with state.app.db.reader() as session:
            counts = arrondissement_counts(session, search_request)
    except BadParameter as exc:
        return _bad(request, str(exc))
    except QueryError as exc:
        return _bad(request, _query_error(exc))
    params = request.query_params
    links = {n: "/search?" + query_string(params, arr=[n], page=None) for n in range(1, 21)}
    svg = digests.render_map_svg(counts, links=links)
    return page(request, "map.html", params=params, svg=svg, counts=sorted(counts.items()),
                attribution=digests.ATTRIBUTION,
                back=query_string(request.query_params))


def _value(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return value


def _rows(request: Request, search_request: Any) -> Iterator[dict[str, Any]]:
    """Every hit of the query, read from one session while the response streams."""
    from models.search import iter_hits

    with web_state(request).app.db.reader() as session:
        for hit in iter_hits(session, search_request):
            yield {name: _value(getattr(hit, name, None)) for name in EXPORT_FIELDS}


def _with_page(search_request: Any, number: int, size: int) -> Any:
    import dataclasses

    if dataclasses.is_dataclass(search_request):
        return dataclasses.replace(search_request, page=number, page_size=size)
    return search_request.model_copy(update={"page": number, "page_size": size})


def _export_request(request: Request) -> Any:
    from models.search import QueryError, search

    state = web_state(request)
    try:
        search_request = request_from(request.query_params, page_size=state.settings.web.page_size)
        # Parse the query once before the response starts, so a malformed one is a 400, not a cut stream.
        probe = _with_page(search_request, 1, 1)
        with state.app.db.reader() as session:
            search(session, probe)
    except BadParameter as exc:
        return _bad(request, str(exc))
    except QueryError as exc:
        return _bad(request, _query_error(exc))
    return search_request


@router.get("/search/export.csv")
def export_csv(request: Request, viewer: Viewer = SEARCH) -> Response:
    search_request = _export_request(request)
    if isinstance(search_request, Response):
        return search_request

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(EXPORT_FIELDS)
        for row in _rows(request, search_request):
            writer.writerow(["|".join(v) if isinstance(v, list) else ("" if v is None else v)
                             for v in row.values()])
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="veille-{stamp}.csv"'})


@router.get("/search/export.json")
def export_json(request: Request, viewer: Viewer = SEARCH) -> Response:
    search_request = _export_request(request)
    if isinstance(search_request, Response):
        return search_request

    def chunks() -> Iterator[str]:
        yield '{"items": ['
        first = True
        count = 0
        for row in _rows(request, search_request):
            yield ("" if first else ",") + json.dumps(row, ensure_ascii=False)
            first = False
            count += 1
        yield f'], "count": {count}}}'

    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    return StreamingResponse(chunks(), media_type="application/json",
                             headers={"Content-Disposition": f'attachment; filename="veille-{stamp}.json"'})
