"""Extraction quality floor on ../shared/corpora/extraction, scored by its README's rule.

Pinned figures (trafilatura 2.3.1): ours P 0.9172 R 0.9553 F1 0.9358 on the 428 pages,
bare ``trafilatura.extract`` F1 0.9296; French pages F1 0.9308 for both.
"""

import pytest
import trafilatura

from pipelines.extract import ExtractOptions, extract_page

from .conftest import score_extraction

OPTIONS = ExtractOptions(min_text_chars=0)


def ours(html: bytes) -> str | None:
    return extract_page(html, None, OPTIONS).text


def bare(html: bytes) -> str | None:
    return trafilatura.extract(html)


def test_our_extraction_is_at_least_as_good_as_bare_trafilatura_on_the_french_pages(extraction_corpus) -> None:
    mine = score_extraction(extraction_corpus, ours, french_only=True)
    theirs = score_extraction(extraction_corpus, bare, french_only=True)
    print(f"French pages: ours {mine}; bare {theirs}")
    assert mine.f1 >= theirs.f1
    assert mine.f1 >= 0.930


@pytest.mark.slow
def test_our_extraction_is_at_least_as_good_as_bare_trafilatura_on_all_pages(extraction_corpus) -> None:
    mine = score_extraction(extraction_corpus, ours)
    theirs = score_extraction(extraction_corpus, bare)
    print(f"All pages: ours {mine}; bare {theirs}")
    assert mine.f1 >= theirs.f1
    assert mine.f1 >= 0.935
    assert mine.precision >= theirs.precision
