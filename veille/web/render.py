"""Rendering pages: the layout's context (viewer, CSRF token, groups) and French formatting."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import pass_context

from .auth import Capability, csrf_token_for, viewer_of
from .state import CSRF_COOKIE, web_state

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
THEME_LABELS = {"social_education": "Social – Éducation", "environment": "Environnement",
                "public_space": "Espace public"}
OUTLET_TYPES = {"national": "presse nationale", "regional": "presse régionale", "local": "média local",
                "institutional": "institutionnel", "independent": "indépendant"}

FLASHES = {
    "label": "Thèmes enregistrés : la correction servira au prochain entraînement du modèle.",
    "pin": "Épinglage mis à jour.",
    "exclude": "Exclusion mise à jour.",
    "move": "Ordre mis à jour.",
    "note": "Mot de l'équipe enregistré.",
    "published": "La revue est publiée.",
    "merged": "Les sujets sont fusionnés.",
    "split": "Le sujet est scindé.",
    "title": "Titre du sujet enregistré.",
    "questions": "Questions enregistrées.",
    "user": "Compte enregistré.",
    "token": "Jeton révoqué.",
    "password": "Mot de passe changé.",
}


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    state = web_state(request)
    viewer = viewer_of(request)
    csrf = csrf_token_for(request)
    groups = {key: group.title for key, group in state.settings.digests.groups.items()}
    response = state.templates.TemplateResponse(
        request, template,
        {"viewer": viewer, "csrf": csrf, "groups": groups, "Capability": Capability,
         "public_reviews": state.settings.digests.public, **context},
        status_code=status)
    if request.state._state.get("set_anon_csrf"):
        response.set_cookie(CSRF_COOKIE, state.csrf_signer.sign(csrf), httponly=True, samesite="lax",
                            secure=state.settings.web.secure_cookies, path="/")
    return response


def redirect(path: str, flash: str | None = None) -> RedirectResponse:
    """POST-redirect-GET; ``flash`` is a key of `FLASHES`, shown on the next page (``?ok=``).

    Only known keys are shown, so a crafted link cannot make the site say anything else."""
    if flash:
        assert flash in FLASHES, flash
        path, hash_, fragment = path.partition("#")
        path += ("&" if "?" in path else "?") + "ok=" + flash + hash_ + fragment
    return RedirectResponse(path, status_code=303)


def to_local(value: datetime | None, zone: str) -> datetime | None:
    return value.astimezone(ZoneInfo(zone)) if value is not None else None


def french_date(value: datetime | date | None, zone: str = "Europe/Paris", with_time: bool = False) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(zone))
    text = f"{value.day}{'er' if value.day == 1 else ''} {MONTHS[value.month - 1]} {value.year}"
    if with_time and isinstance(value, datetime):
        text += f" à {value.hour} h {value.minute:02d}"
    return text


def week_bounds(week: str, zone: str) -> tuple[datetime, datetime]:
    """The UTC start and end of an ISO week ``YYYY-Www`` in the given time zone."""
    year, _, number = week.partition("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    start = datetime(monday.year, monday.month, monday.day, tzinfo=ZoneInfo(zone))
    end_day = monday + timedelta(days=7)
    end = datetime(end_day.year, end_day.month, end_day.day, tzinfo=ZoneInfo(zone))
    return start, end


def week_label(week: str) -> str:
    year, _, number = week.partition("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    sunday = monday + timedelta(days=6)
    if monday.month == sunday.month:
        return f"semaine du {monday.day} au {sunday.day} {MONTHS[sunday.month - 1]} {sunday.year}"
    if monday.year == sunday.year:
        return f"semaine du {monday.day} {MONTHS[monday.month - 1]} au {sunday.day} {MONTHS[sunday.month - 1]} {sunday.year}"
    return (f"semaine du {monday.day} {MONTHS[monday.month - 1]} {monday.year} "
            f"au {sunday.day} {MONTHS[sunday.month - 1]} {sunday.year}")


def current_week(zone: str, offset: int = 0) -> str:
    today = datetime.now(ZoneInfo(zone)).date() + timedelta(weeks=offset)
    iso = today.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def valid_week(week: str) -> bool:
    import re

    if not re.fullmatch(r"\d{4}-W\d{2}", week):
        return False
    try:
        date.fromisocalendar(int(week[:4]), int(week[6:]), 1)
    except ValueError:
        return False
    return True


def install_filters(env: Any, zone: str) -> None:
    env.filters["fdate"] = lambda v: french_date(v, zone)
    env.filters["fdatetime"] = lambda v: french_date(v, zone, with_time=True)
    env.filters["theme"] = lambda key: THEME_LABELS.get(key, key)
    env.filters["outlet_type"] = lambda key: OUTLET_TYPES.get(key, key or "—")
    env.filters["week_label"] = week_label
    env.filters["pct"] = lambda v: f"{v * 100:.0f} %".replace(".", ",")
    env.filters["num"] = lambda v: f"{v:,}".replace(",", "\u202f")
    env.globals["THEME_LABELS"] = THEME_LABELS
    env.globals["OUTLET_TYPES"] = OUTLET_TYPES

    @pass_context
    def flash(context: Any) -> str | None:
        request = context.get("request")
        return FLASHES.get(request.query_params.get("ok", "")) if request is not None else None

    env.globals["flash"] = flash
