"""One `Review`, many formats: HTML (page or fragment), e-mail (subject, text, HTML with
inline styles), Markdown, plain text and PDF (WeasyPrint); and the Atom feed of a group."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from importlib.resources import files
from typing import Any, Literal, overload

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Digest

from .charts import render_chart_svg
from .context import BlindSpot, Review, WeekCount
from .french import arrondissement, decimal, join_words, outlet_type, plural, quoted
from .geo import ATTRIBUTION, render_map_svg
from .options import ReviewOptions

FORMATS = ("html", "email", "markdown", "text", "pdf")
Format = Literal["html", "email", "markdown", "text", "pdf"]
WIDTH = 78
PART_NAMES = {"outlets": "médias", "diversity": "variété des médias", "paris": "lien avec Paris",
              "recency": "date", "relevance": "thème", "pinned": "choix de l'équipe"}

# The e-mail's styles, written inline on each element: mail clients drop <style> blocks and
# never load remote stylesheets. Colours are the page's (contrast checked by the tests).
EMAIL_STYLES = {
    "body": "margin:0;padding:0;background:#ffffff;color:#1a1a1a;",
    "wrap": "max-width:640px;margin:0 auto;padding:12px 16px 24px;font-family:Arial,Helvetica,sans-serif;"
            "font-size:16px;line-height:1.5;color:#1a1a1a;",
    "kicker": "margin:8px 0 0;font-size:12px;letter-spacing:1px;text-transform:uppercase;color:#4d4d4d;",
    "h1": "margin:4px 0 4px;font-size:24px;line-height:1.25;color:#1a1a1a;",
    "week": "font-size:16px;font-weight:normal;color:#4d4d4d;",
    "h2": "margin:28px 0 8px;padding-bottom:3px;border-bottom:2px solid #1a1a1a;font-size:20px;color:#1a1a1a;",
    "h2_plain": "margin:8px 0 6px;font-size:18px;color:#1a1a1a;",
    "h3": "margin:0 0 4px;font-size:17px;line-height:1.3;color:#1a1a1a;",
    "p": "margin:0 0 10px;",
    "muted": "margin:4px 0 10px;color:#4d4d4d;font-size:14px;",
    "small": "margin:0 0 6px;color:#4d4d4d;font-size:14px;",
    "small_p": "margin:0 0 8px;color:#4d4d4d;font-size:13px;",
    "label": "margin:8px 0 2px;font-weight:bold;font-size:14px;",
    "link": "color:#0b4f9c;",
    "link_b": "color:#0b4f9c;font-weight:bold;",
    "note": "background:#f3f6fa;border-left:4px solid #0b4f9c;padding:4px 14px 6px;margin:12px 0;",
    "story": "border-top:1px solid #c8c8c8;padding:12px 0 6px;",
    "quote": "margin:0 0 8px;padding-left:10px;border-left:3px solid #c8c8c8;",
    "list": "margin:4px 0 10px;padding-left:20px;",
    "li": "margin:0 0 5px;",
    "box": "background:#f3f6fa;padding:8px 14px;margin:0 0 10px;",
    "footer": "margin-top:28px;border-top:2px solid #1a1a1a;padding-top:4px;",
}


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def _arrs(numbers: list[int]) -> str:
    labels = [arrondissement(n) for n in numbers]
    return (labels[0] + " arrondissement") if len(labels) == 1 else join_words(labels) + " arrondissements"


def _map_text(counts: dict[int, int]) -> str:
    if not counts:
        return "aucun article localisé dans un arrondissement"
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{arrondissement(n)} : {c}" for n, c in ordered)


def _history_text(history: list[WeekCount]) -> str:
    return ", ".join(f"{w.label} : {w.count}" + (" (cette semaine)" if w.current else "") for w in history)


def _blind(spot: BlindSpot) -> str:
    what = spot.label if spot.kind == "subtopic" else f"{spot.label} arrondissement"
    now = "aucun article" if spot.this_week == 0 else plural(spot.this_week, "article")
    if spot.usual is None:
        return f"{what} : {now} cette semaine"
    return f"{what} : {now} cette semaine, contre {decimal(spot.usual)} par semaine d'habitude"


def _blind_lines(spots: list[BlindSpot]) -> list[str]:
    """One line per blind spot; without history, one line listing the places with no item."""
    if spots and all(s.usual is None for s in spots):
        numbers = [int(s.key) for s in spots if s.kind == "arrondissement"]
        return [f"aucun article cette semaine : {_arrs(numbers)}"] if numbers else []
    return [_blind(s) for s in spots]


def _parts(parts: dict[str, float]) -> str:
    shown = [f"{PART_NAMES.get(k, k)} {decimal(v, 2)}" for k, v in parts.items() if v]
    return ", ".join(shown) or "aucun critère"


def _md(text: str) -> str:
    """Escape what Markdown would read as markup in a title or a quotation."""
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", str(text))


def _wrap(text: str, indent: str = "", first: str = "") -> str:
    paragraphs = [p for p in str(text).split("\n") if p.strip()] or [""]
    return "\n".join(textwrap.fill(p, WIDTH, initial_indent=first, subsequent_indent=indent,
                                   break_on_hyphens=False, break_long_words=False) for p in paragraphs)


def _underline(text: str) -> str:
    return f"{text}\n{'=' * len(text)}"


def _filters(env: Environment) -> Environment:
    env.filters.update(
        plural=lambda n, one, many=None: plural(int(n), one, many), arr=arrondissement, arrs=_arrs,
        map_text=_map_text, history_text=_history_text, blind=_blind, blind_lines=_blind_lines, parts=_parts, decimal=decimal,
        outlet_type=outlet_type, md=_md, quoted=quoted, wrap=_wrap, underline=_underline,
        capfirst=lambda s: s[:1].upper() + s[1:])
    return env


@lru_cache(maxsize=1)
def html_environment() -> Environment:
    return _filters(Environment(loader=PackageLoader("digests", "templates"), undefined=StrictUndefined,
                                autoescape=select_autoescape(["html", "xml"]), trim_blocks=True,
                                lstrip_blocks=True))


@lru_cache(maxsize=1)
def text_environment() -> Environment:
    return _filters(Environment(loader=PackageLoader("digests", "templates"), undefined=StrictUndefined,
                                autoescape=False, trim_blocks=True, lstrip_blocks=True,
                                keep_trailing_newline=True))


@lru_cache(maxsize=1)
def stylesheet() -> str:
    return files("digests").joinpath("static/review.css").read_text(encoding="utf-8")


def method_paragraphs(review: Review) -> list[str]:
    """The footer on method and rights, as plain paragraphs (text, Markdown, e-mail)."""
    html = html_environment().get_template("_method.html").render(review=review, attribution=ATTRIBUTION)
    paragraphs = re.findall(r"<p>(.*?)</p>", html, re.S)
    return [re.sub(r"<[^>]+>", "", p).replace("&#39;", "'").replace("&amp;", "&").replace("&quot;", '"')
            for p in paragraphs]


def _tidy(text: str) -> str:
    """At most one blank line in a row, one final newline."""
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _figures(review: Review) -> dict[str, Any]:
    return {"map_svg": Markup(render_map_svg(review.map_counts, id_prefix=f"carte-{review.group}",
                                             title=f"Articles par arrondissement, {review.week_label}")),
            "chart_svg": Markup(render_chart_svg(review.history, id_prefix=f"courbe-{review.group}")),
            "attribution": ATTRIBUTION}


def render_html(review: Review, *, standalone: bool = True) -> str:
    """The accessible page; ``standalone=False`` gives the body fragment for the web app's layout."""
    env = html_environment()
    template = env.get_template("review.html" if standalone else "_review.html")
    return template.render(review=review, css=Markup(stylesheet()), **_figures(review))


def render_markdown(review: Review) -> str:
    return _tidy(text_environment().get_template("review.md").render(
        review=review, method_text="\n\n".join(_md(p) for p in method_paragraphs(review))))


def render_text(review: Review) -> str:
    return _tidy(text_environment().get_template("review.txt").render(
        review=review, method_text="\n".join(method_paragraphs(review))))


def render_email(review: Review) -> RenderedEmail:
    html = html_environment().get_template("email.html").render(
        review=review, s=EMAIL_STYLES, method_paragraphs=method_paragraphs(review))
    return RenderedEmail(subject=review.subject, text=render_text(review), html=html)


def render_pdf(review: Review) -> bytes:
    from weasyprint import HTML  # imported here: 0.5 s, and only the PDF needs it

    return HTML(string=render_html(review), base_url=None).write_pdf()


@overload
def render_review(review: Review, fmt: Literal["email"], *, standalone: bool = True) -> RenderedEmail: ...
@overload
def render_review(review: Review, fmt: Literal["pdf"], *, standalone: bool = True) -> bytes: ...
@overload
def render_review(review: Review, fmt: str, *, standalone: bool = True) -> str: ...
def render_review(review: Review, fmt: str, *, standalone: bool = True) -> str | bytes | RenderedEmail:
    """Render a review: ``html`` (``standalone=False`` for the fragment), ``email``, ``markdown``,
    ``text`` or ``pdf``."""
    if fmt == "html":
        return render_html(review, standalone=standalone)
    if fmt == "email":
        return render_email(review)
    if fmt == "markdown":
        return render_markdown(review)
    if fmt == "text":
        return render_text(review)
    if fmt == "pdf":
        return render_pdf(review)
    raise ValueError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")


def render_atom(session: Session, group: str, options: ReviewOptions, *, limit: int = 20) -> str:
    """The Atom feed of a group's published reviews, newest first."""
    title = options.group(group).title
    digests = session.scalars(select(Digest).where(Digest.group == group, Digest.status == "published")
                              .order_by(Digest.week.desc()).limit(limit)).all()
    entries = []
    for digest in digests:
        review = Review.model_validate(digest.context) if digest.context else None
        published = (digest.published_at or digest.updated_at or datetime.now(timezone.utc))
        if review is not None:
            headlines = [s.title for s in review.top]
            summary = (f"{plural(review.counts.items, 'article')}, {plural(review.counts.stories, 'sujet')}."
                       + (" À la une : " + " ; ".join(headlines) + "." if headlines else ""))
            content = render_html(review, standalone=False)
            entry_title = f"{title} – {review.week_label}"
        else:
            summary = content = f"Revue de presse {title}, {digest.week}."
            entry_title = f"{title} – {digest.week}"
        entries.append({"url": options.review_url(group, digest.week), "title": entry_title,
                        "published": published.astimezone(timezone.utc).isoformat(timespec="seconds"),
                        "summary": summary, "content": content})
    updated = entries[0]["published"] if entries else datetime(2026, 1, 1, tzinfo=timezone.utc).isoformat()
    return html_environment().get_template("atom.xml").render(
        feed_url=options.feed_url(group), home_url=f"{options.base_url.rstrip('/')}/reviews/{group}",
        group_title=title, updated=updated, entries=entries)
