"""Property-based tests: canonicalisation, dates and feed parsing never raise on any input."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watch import NotAFeed, canonical_url, parse_date, parse_feed
from watch.http import FetchError, check_url

URLISH = st.builds(lambda scheme, host, path, query: f"{scheme}://{host}/{path}?{query}",
                   st.sampled_from(["http", "https", "HTTP", "ftp", "javascript", ""]),
                   st.text(min_size=0, max_size=30), st.text(max_size=40), st.text(max_size=40))


@settings(max_examples=400, deadline=None)
@given(st.one_of(URLISH, st.text(max_size=200)))
def test_canonical_url_never_raises_and_is_idempotent(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once


@settings(max_examples=400, deadline=None)
@given(st.one_of(URLISH, st.text(max_size=200)))
def test_check_url_refuses_with_a_reason_or_accepts(url: str) -> None:
    try:
        check_url(url, allow_private_networks=True)
    except FetchError as exc:
        assert exc.outcome == "bad_url"


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=120))
def test_parse_date_never_raises_and_returns_aware_times(text: str) -> None:
    value = parse_date(text)
    assert value is None or value.utcoffset() is not None


FEEDISH = st.builds(
    lambda head, title, link, tail: (f'<?xml version="1.0"?>{head}<rss version="2.0"><channel><title>{title}'
                                     f"</title><item><title>{title}</title><link>{link}</link></item>{tail}")
    .encode("utf-8", "surrogatepass"),
    st.sampled_from(["", "<!DOCTYPE rss>", "<!-- c -->", "\ufeff"]), st.text(max_size=60),
    st.one_of(URLISH, st.text(max_size=60)), st.sampled_from(["</channel></rss>", "", "</rss>", "<item>"]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(FEEDISH, st.binary(max_size=400)))
def test_parse_feed_returns_entries_with_http_links_or_says_not_a_feed(body: bytes) -> None:
    try:
        listing = parse_feed(body, url="http://example.org/feed")
    except NotAFeed:
        return
    assert all(entry.link.startswith(("http://", "https://")) for entry in listing.entries)
