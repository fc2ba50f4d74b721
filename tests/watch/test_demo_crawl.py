"""The crawler against the demo site: 7 fictional outlets on 127.0.0.2–8, ground truth in the manifest."""

from __future__ import annotations

from typing import Iterator

import pytest
from sqlalchemy import func, select

from models import Item, ItemPage, ItemSource, Source
from veille.core import Veille
from veille.demo.site import DemoSite, load_corpus
from veille.jobs.crawl import crawl_once
from veille.jobs.setup import sync_sources
from watch import canonical_url

from .conftest import Clock


@pytest.fixture(scope="module")
def site() -> Iterator[DemoSite]:
    with DemoSite() as running:
        yield running


def demo_app(app: Veille, site: DemoSite) -> Veille:
    from veille.settings import settings_from_dict

    raw = app.settings.model_dump(mode="json", exclude={"config_path"})
    raw["sources"] = site.sources()
    raw["watch"].update({"min_host_gap": 0.0, "concurrency": 8})
    settings = settings_from_dict(raw)
    demo = Veille(settings)
    demo.__dict__["db"] = app.db
    sync_sources(demo)
    return demo


def test_the_demo_corpus_is_crawled_once_with_every_article_one_item(app: Veille, site: DemoSite) -> None:
    demo = demo_app(app, site)
    report = crawl_once(demo)
    corpus = load_corpus()
    assert report.outcomes == {"ok": len(site.sources())}
    with demo.db.reader() as session:
        urls = set(session.scalars(select(Item.canonical_url)))
        states = dict(session.execute(select(Item.state, func.count(Item.id)).group_by(Item.state)).all())
        pages = session.scalar(select(func.count(ItemPage.item_id)))
        no_date = session.scalars(select(Item.date_source).where(Item.date_source == "first_seen")).all()
    expected = {canonical_url(site.article_url(a)) for a in corpus.articles}
    assert urls == expected  # tracking parameters stripped, partner republications linked, not duplicated
    assert states == {"fetched": len(expected)} and pages == len(expected)
    assert len(no_date) == sum(1 for a in corpus.articles.values() if a.get("feed_without_date"))
    assert report.items["linked"] == sum(len(a.get("partners", [])) for a in corpus.articles.values())


def test_a_second_crawl_is_all_304s_and_an_edited_site_updates_items(app: Veille, site: DemoSite) -> None:
    demo = demo_app(app, site)
    crawl_once(demo)
    with demo.db.reader() as session:
        before = session.scalar(select(func.count(Item.id)))
    again = crawl_once(demo)
    assert again.outcomes == {"not_modified": len(site.sources())} and not again.items
    site.edited = True
    try:
        edited = crawl_once(demo)
    finally:
        site.edited = False
    retitled = [a for a in load_corpus().articles.values() if a.get("edited_title")]
    assert edited.items["updated"] >= len(retitled) > 0
    with demo.db.reader() as session:
        assert session.scalar(select(func.count(Item.id))) == before
        titles = set(session.scalars(select(Item.title).where(Item.version == 2)))
    assert {a["edited_title"] for a in retitled} <= titles
