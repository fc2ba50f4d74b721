"""Acquisition: the HTTP client seam, feed and listing-page polling, item identity, source health.

The shell builds a `CrawlOptions` from the settings and calls `crawl`; `fetch_page` lets
other packages fetch one page through the same client (caps, timeouts, private-network
guard, User-Agent).
"""

from .articles import fetch_page
from .crawl import CrawlReport, crawl
from .dates import parse_date
from .entries import Entry, Listing
from .feeds import NotAFeed, parse_feed
from .http import OUTCOMES, FetchError, Fetcher, HttpOptions, Response, check_url
from .options import CrawlOptions
from .pages import PageRules, canonical_link, feed_links, parse_listing
from .store import tombstone_item
from .urls import canonical_url

__all__ = [
    "OUTCOMES", "CrawlOptions", "CrawlReport", "Entry", "FetchError", "Fetcher", "HttpOptions", "Listing",
    "NotAFeed", "PageRules", "Response", "canonical_link", "canonical_url", "check_url", "crawl",
    "feed_links", "fetch_page", "parse_date", "parse_feed", "parse_listing", "tombstone_item",
]
