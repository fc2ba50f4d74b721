"""Every format from one context: golden files, accessibility basics, contrast, e-mail rules, PDF text.

Regenerate the golden files after an intended change with ``VEILLE_UPDATE_GOLDEN=1``."""

from __future__ import annotations

import email
import os
import re
import shutil
import subprocess
from email import policy
from pathlib import Path

import feedparser
import lxml.html
import pytest

from digests import Review, assemble_review, render_atom, render_review
from digests.geo import PALETTE, TEXT_ON
from digests.mail import build_message
from digests.render import EMAIL_STYLES, stylesheet
from models import Database

from .conftest import NOW, Archive, build_week

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def review(database: Database, archive: Archive, options) -> Review:  # type: ignore[no-untyped-def]
    build_week(archive)
    return assemble_review(archive.session, "environment", "2026-W47", options, now=NOW)


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("VEILLE_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with VEILLE_UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(encoding="utf-8")


def test_markdown_matches_its_golden_file(review: Review) -> None:
    check_golden("environment-2026-W47.md", render_review(review, "markdown"))


def test_plain_text_matches_its_golden_file(review: Review) -> None:
    text = render_review(review, "text")
    check_golden("environment-2026-W47.txt", text)
    assert max(len(line) for line in text.splitlines() if not line.strip().startswith("http")) <= 78


def test_the_email_text_matches_its_golden_file(review: Review) -> None:
    check_golden("environment-2026-W47.email.txt", render_review(review, "email").text)


def test_an_empty_week_says_so_in_every_text_format(database: Database, archive: Archive, options) -> None:  # type: ignore[no-untyped-def]
    empty = assemble_review(archive.session, "environment", "2026-W49", options, now=NOW)
    check_golden("environment-2026-W49-empty.md", render_review(empty, "markdown"))
    for fmt in ("markdown", "text", "html"):
        out = render_review(empty, fmt)
        assert "Aucun article n'a été retenu" in out or "Aucun article n&#39;a été retenu" in out
        assert "None" not in out


def headings(tree: lxml.html.HtmlElement) -> list[int]:
    return [int(h.tag[1]) for h in tree.iter("h1", "h2", "h3", "h4", "h5", "h6")]


def assert_accessible(html: str) -> lxml.html.HtmlElement:
    tree = lxml.html.document_fromstring(html)
    assert tree.get("lang") == "fr"
    levels = headings(tree)
    assert levels[0] == 1 and levels.count(1) == 1
    for before, after in zip(levels, levels[1:]):
        assert after <= before + 1, f"heading h{after} follows h{before}"
    for img in tree.iter("img"):
        assert img.get("alt"), "an image without alt text"
    for svg in tree.iter("svg"):
        assert svg.get("role") == "img" and svg.get("aria-labelledby")
    for link in tree.iter("a"):
        assert link.text_content().strip(), f"an empty link to {link.get('href')}"
    assert tree.find(".//meta[@name='viewport']") is not None
    return tree


def test_the_page_is_accessible_and_complete(review: Review) -> None:
    html = render_review(review, "html")
    tree = assert_accessible(html)
    assert tree.find(".//main") is not None and tree.find(".//footer") is not None
    text = tree.text_content()
    for heading in ("À la une", "Déchets et propreté", "En bref", "Pour le décryptage", "Angles morts",
                    "Méthode et droits", "Le mot de l'équipe d'animation"):
        assert heading in text
    assert "Source : Ville de Paris — opendata.paris.fr, ODbL" in text
    assert "@media print" in html and "@media (max-width" in html
    assert len(tree.findall(".//article")) == len(review.stories())


def test_the_fragment_is_the_body_for_the_web_layout(review: Review) -> None:
    fragment = render_review(review, "html", standalone=False)
    assert "<html" not in fragment and "<style" not in fragment
    assert fragment.lstrip().startswith('<div class="revue">')


def relative_luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_every_text_colour_has_enough_contrast_with_its_background() -> None:
    css = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6})", stylesheet()))
    pairs = [("ink", "paper"), ("muted", "paper"), ("link", "paper"), ("ink", "tint"), ("link", "tint"),
             ("muted", "tint"), ("badge-ink", "badge-bg"), ("draft-ink", "draft-bg")]
    for fg, bg in pairs:
        assert contrast(css[fg], css[bg]) >= 4.5, (fg, bg, contrast(css[fg], css[bg]))
    for style in EMAIL_STYLES.values():
        for colour in re.findall(r"(?<![-\w])color:(#[0-9a-f]{6})", style):
            background = (re.findall(r"background:(#[0-9a-f]{6})", style) or ["#ffffff"])[0]
            assert contrast(colour, background) >= 4.5, style
    for fill, ink in zip(PALETTE, TEXT_ON):  # the labels on the map
        assert contrast(fill, ink) >= 4.5, (fill, ink)


def test_the_email_has_inline_styles_and_nothing_remote(review: Review) -> None:
    rendered = render_review(review, "email")
    assert rendered.subject == "Revue de presse Environnement – semaine du 16 au 22 novembre 2026"
    tree = assert_accessible(rendered.html)
    assert tree.find(".//style") is None and tree.find(".//link") is None
    assert not tree.findall(".//img") and "<svg" not in rendered.html
    assert all(el.get("style") for el in tree.iter("h1", "h2", "h3", "p", "a"))
    assert "https://veille.example.org/reviews/environment/2026-W47" in rendered.html


def test_the_email_message_is_multipart_utf8_and_round_trips(review: Review) -> None:
    rendered = render_review(review, "email")
    message = build_message(rendered, sender="Veille <veille@example.org>", recipient="léa@example.org",
                            message_id="<x@example.org>", review_url=review.url)
    parsed = email.message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed["Subject"] == rendered.subject
    assert parsed.get_body(("plain",)).get_content() == rendered.text
    assert parsed.get_body(("html",)).get_content().rstrip("\n") == rendered.html.rstrip("\n")
    assert "é" in parsed.get_body(("plain",)).get_content() and "reprise de" in rendered.text


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
def test_the_pdf_carries_the_review_text(review: Review, tmp_path: Path, artifacts_dir: Path) -> None:
    pdf = render_review(review, "pdf")
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "review.pdf"
    path.write_bytes(pdf)
    shutil.copyfile(path, artifacts_dir / "digest-environment-2026-W47.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = " ".join(text.split())
    for expected in ("Environnement", "semaine du 16 au 22 novembre 2026", "À la une",
                     "Les cours Oasis du 11e, un an après", "Angles morts", "Méthode et droits",
                     "opendata.paris.fr, ODbL", "L'Écho national"):
        assert expected in flat, expected


def test_the_atom_feed_lists_published_reviews_only(database: Database, archive: Archive, options) -> None:  # type: ignore[no-untyped-def]
    build_week(archive)
    review = assemble_review(archive.session, "environment", "2026-W47", options, now=NOW)
    digest = archive.session.query(__import__("models").Digest).one()
    assert "<entry>" not in render_atom(archive.session, "environment", options)
    digest.status, digest.published_at = "published", NOW
    digest.context = review.model_copy(update={"status": "published"}).model_dump(mode="json")
    archive.session.flush()
    feed = feedparser.parse(render_atom(archive.session, "environment", options))
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == "Revue de presse Environnement – Assemblée citoyenne de Paris"
    (entry,) = feed.entries
    assert entry.link == "https://veille.example.org/reviews/environment/2026-W47"
    assert entry.title == "Environnement – semaine du 16 au 22 novembre 2026"
    assert "Les cours Oasis du 11e" in entry.summary


@pytest.mark.browser
def test_the_page_and_the_email_render_in_chromium(sqlite_database: Database, options, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                    artifacts_dir: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    with sqlite_database.writer() as session:
        build_week(Archive(session))
        review = assemble_review(session, "environment", "2026-W47", options, now=NOW)
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.fail("Debian's chromium is needed for the browser tests (apt-get install chromium)")
    page_file, mail_file = tmp_path / "review.html", tmp_path / "email.html"
    page_file.write_text(render_review(review, "html"), encoding="utf-8")
    mail_file.write_text(render_review(review, "email").html, encoding="utf-8")
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=args)
        requests: list[str] = []
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.on("request", lambda r: requests.append(r.url))
        page.goto(page_file.as_uri())
        assert page.locator("h1").inner_text().startswith("Environnement")
        # Readable on a phone: nothing wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(artifacts_dir / "digest-page-phone.png"), full_page=True)
        mail = browser.new_page(viewport={"width": 800, "height": 1000})
        mail.on("request", lambda r: requests.append(r.url))
        mail.goto(mail_file.as_uri())
        mail.screenshot(path=str(artifacts_dir / "digest-email.png"), full_page=True)
        browser.close()
    assert all(url.startswith("file:") for url in requests), requests
