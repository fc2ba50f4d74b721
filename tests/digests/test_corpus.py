"""The reviews of the sample corpus (veille/demo/corpus), loaded straight into the archive with
its ground truth (themes, arrondissements, stories, wire copies) standing in for the pipelines,
so the reviews can be read and checked whatever the state of the other stages.

Regenerate the golden files after an intended change with ``VEILLE_UPDATE_GOLDEN=1``."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

import veille.demo
from digests import Review, assemble_review, render_review
from models import Database, Item, ItemPlace, Source, Story, ThemeScore

from .conftest import NOW
from .test_render import assert_accessible, check_golden

CORPUS = Path(veille.demo.__file__).parent / "corpus"
THEMES = ("social_education", "environment", "public_space")


def load_corpus(session: Session) -> None:
    outlets = {o["id"]: o for o in json.loads((CORPUS / "outlets.json").read_text(encoding="utf-8"))}
    articles = [json.loads(line) for line in (CORPUS / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    truth = {m["id"]: m for m in map(json.loads, (CORPUS / "manifest.jsonl").read_text(encoding="utf-8").splitlines())}
    sources = {}
    for key, outlet in outlets.items():
        sources[key] = Source(name=outlet["name"], url=f"http://127.0.0.1/{key}/feed", outlet_type=outlet["outlet_type"])
        session.add(sources[key])
    stories: dict[str, Story] = {}
    for story in sorted({m["story"] for m in truth.values() if m["story"]}):
        stories[story] = Story()
        session.add(stories[story])
    session.flush()
    items: dict[str, Item] = {}
    for article in sorted(articles, key=lambda a: a["id"]):
        meta = truth[article["id"]]
        when = datetime.fromisoformat(article["published"])
        url = f"http://127.0.0.1/{article['outlet']}/{article['slug']}"
        item = Item(canonical_url=url, url=url, source_id=sources[article["outlet"]].id, title=article["title"],
                    summary=article["lead"], text="\n".join(article["body"]), author=article["author"],
                    language=meta["language"], published_at=when, first_seen_at=when, state="done",
                    story_id=stories[meta["story"]].id if meta["story"] else None,
                    is_wire="(APP)" in " ".join(article["body"][-1:]) or bool(meta["wire_of"]),
                    duplicate_kind="wire" if meta["wire_of"] else None)
        session.add(item)
        session.flush()
        items[article["id"]] = item
        for theme in THEMES:
            tagged = theme in meta["themes"]
            session.add(ThemeScore(item_id=item.id, theme=theme, score=0.9 if tagged else 0.1, assigned=tagged,
                                   model_version="manifest",
                                   reasons=[{"term": t, "weight": 1.0, "kind": "tag"} for t in article["tags"][:3]]
                                   if tagged else []))
        for arr in sorted(set(meta["arrondissements"])):
            session.add(ItemPlace(item_id=item.id, arrondissement=arr, evidence=[]))
    for key, item in items.items():  # copies point to their original, wherever it comes in the file
        if truth[key]["wire_of"]:
            item.duplicate_of_id = items[truth[key]["wire_of"]].id
    session.flush()


def reviews_of(database: Database, options) -> dict[str, Review]:  # type: ignore[no-untyped-def]
    with database.writer() as session:
        load_corpus(session)
        session.commit()
        return {group: assemble_review(session, group, "2026-W47", options, now=NOW) for group in THEMES}


@pytest.fixture
def corpus_reviews(database: Database, options) -> dict[str, Review]:  # type: ignore[no-untyped-def]
    return reviews_of(database, options)


def test_each_groups_review_of_the_corpus_matches_its_golden_files(corpus_reviews: dict[str, Review]) -> None:
    for group, review in corpus_reviews.items():
        check_golden(f"corpus-{group}-2026-W47.md", render_review(review, "markdown"))
        check_golden(f"corpus-{group}-2026-W47.txt", render_review(review, "text"))


def test_the_corpus_reviews_are_full_and_keep_the_rights_rules(corpus_reviews: dict[str, Review]) -> None:
    for review in corpus_reviews.values():
        assert review.counts.items >= 10 and len(review.top) == 2
        assert review.history_weeks_with_data >= 1
        for story in review.stories():
            per_outlet: dict[str, int] = {}
            for quote in story.summary:
                per_outlet[quote.outlet] = per_outlet.get(quote.outlet, 0) + 1
            assert all(n <= 2 for n in per_outlet.values())
        assert_accessible(render_review(review, "html"))


@pytest.mark.slow
@pytest.mark.browser
def test_screenshots_of_the_corpus_reviews(sqlite_database: Database, options, tmp_path: Path,  # type: ignore[no-untyped-def]
                                           artifacts_dir: Path) -> None:
    import shutil
    import subprocess

    playwright = pytest.importorskip("playwright.sync_api")
    review = reviews_of(sqlite_database, options)["social_education"]
    page_file = tmp_path / "page.html"
    page_file.write_text(render_review(review, "html"), encoding="utf-8")
    mail_file = tmp_path / "mail.html"
    mail_file.write_text(render_review(review, "email").html, encoding="utf-8")
    pdf = artifacts_dir / "corpus-social_education.pdf"
    pdf.write_bytes(render_review(review, "pdf"))
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(page_file.as_uri())
        page.screenshot(path=str(artifacts_dir / "corpus-page-phone.png"), full_page=True)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(page_file.as_uri())
        page.screenshot(path=str(artifacts_dir / "corpus-page-desktop.png"), full_page=True)
        page.goto(mail_file.as_uri())
        page.screenshot(path=str(artifacts_dir / "corpus-email.png"), full_page=True)
        browser.close()
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(artifacts_dir / "corpus-pdf")], check=True)
