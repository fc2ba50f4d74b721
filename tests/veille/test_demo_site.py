"""The demo site serves the corpus as a real press would: feeds, 304s, pages, robots.txt."""

from collections import Counter

import feedparser
import httpx
import pytest
from lxml import html as lxml_html

from veille.demo.site import DemoSite, load_corpus, load_manifest
from veille.settings import SourceConfig


@pytest.fixture(scope="module")
def site():
    with DemoSite() as running:
        yield running


def test_every_feed_lists_its_outlets_articles_with_titles_decoded(site: DemoSite) -> None:
    corpus = load_corpus()
    for source in site.sources():
        if source["kind"] != "feed":
            continue
        response = httpx.get(source["url"])
        parsed = feedparser.parse(response.content, response_headers=dict(response.headers))
        assert not parsed.bozo, source["name"]
        titles = {entry.title for entry in parsed.entries}
        outlet = next(o for o in corpus.outlets if o["name"] == source["name"])
        own = [a for a in corpus.articles.values() if a["outlet"] == outlet["id"]]
        assert {a["title"] for a in own} <= titles


def test_a_feed_answers_304_to_its_own_validators(site: DemoSite) -> None:
    url = next(s["url"] for s in site.sources() if s["kind"] == "feed")
    first = httpx.get(url)
    again = httpx.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert first.status_code == 200 and again.status_code == 304 and again.content == b""


def test_the_listing_page_rules_find_the_page_outlets_articles(site: DemoSite) -> None:
    source = next(s for s in site.sources() if s["kind"] == "page")
    SourceConfig.model_validate(source)  # the demo's sources are valid configuration
    tree = lxml_html.fromstring(httpx.get(source["url"]).content)
    items = tree.xpath(source["rules"]["item"])
    links = [item.xpath(source["rules"]["link"])[0] for item in items]
    assert len(items) >= 15 and all(link.startswith("/") for link in links)
    for link in links[:3]:
        assert httpx.get(source["url"].rsplit("/", 2)[0] + link).status_code == 200


def test_articles_have_a_canonical_link_and_robots_txt_keeps_admin_out(site: DemoSite) -> None:
    article = next(iter(load_corpus().articles.values()))
    page = httpx.get(site.article_url(article["id"]))
    canonical = lxml_html.fromstring(page.content).xpath("//link[@rel='canonical']/@href")
    assert page.status_code == 200 and canonical == [site.article_url(article["id"])]
    host = httpx.URL(site.article_url(article["id"])).copy_with(path="/robots.txt", query=None)
    robots = httpx.get(host)
    assert "Disallow: /admin/" in robots.text


def test_the_manifest_covers_three_weeks_and_every_theme() -> None:
    manifest = load_manifest()
    corpus = load_corpus()
    weeks = Counter(a["published"][:10] >= "2026-11-16" for a in corpus.articles.values())
    themes = Counter(t for m in manifest.values() for t in m["themes"])
    assert len(manifest) == len(corpus.articles) >= 150
    assert weeks[True] >= 40 and min(themes.values()) >= 35
    stories = Counter(m["story"] for m in manifest.values() if m["story"])
    assert sum(1 for count in stories.values() if count >= 2) >= 15
