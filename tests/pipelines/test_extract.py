"""The extract stage: text and metadata, date preference, and bad input kept with a reason."""

from datetime import datetime, timezone

import pytest

from pipelines.document import Document
from pipelines.extract import ExtractOptions, ExtractStage, content_hash, extract_page
from pipelines.stages import Drop

NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
BODY = ("Les parents d'élèves de l'école de la rue Archereau occupent les locaux depuis lundi soir pour "
        "protester contre la fermeture d'une classe annoncée par l'académie en cours d'année. "
        "Selon les représentants des familles, les effectifs passeraient de 22 à 28 élèves par classe. "
        "Une pétition a déjà recueilli plus de mille trois cents signatures dans le quartier.")


def page(body: str = BODY, head: str = "", lang: str = "fr") -> bytes:
    return (f"<html lang='{lang}'><head><title>Fermeture de classe dans le 19e</title>{head}</head><body>"
            f"<nav>Accueil · Politique · Société</nav><article><h1>Fermeture de classe dans le 19e</h1>"
            f"<p>{body}</p><p>{body}</p></article><footer>Mentions légales</footer></body></html>").encode()


def stage(**options) -> ExtractStage:
    return ExtractStage(ExtractOptions(now=NOW, **options))


def doc(html: bytes | None, **fields) -> Document:
    return Document(url="https://example.org/a", html=html, first_seen=NOW, **fields)


def test_extraction_returns_the_article_text_title_and_language() -> None:
    result = extract_page(page(), "https://example.org/a")
    assert "rue Archereau" in result.text and "Mentions légales" not in result.text
    assert result.title == "Fermeture de classe dans le 19e"
    assert result.language == "fr"


def test_the_feed_date_is_preferred_to_the_page_date() -> None:
    feed_date = datetime(2026, 11, 3, 6, 40, tzinfo=timezone.utc)
    head = "<meta property='article:published_time' content='2026-11-01T10:00:00+01:00'>"
    result = stage().process(doc(page(head=head), feed_published=feed_date))
    assert (result.published_at, result.date_source) == (feed_date, "feed")


def test_the_page_metadata_date_is_used_without_a_feed_date() -> None:
    head = "<meta property='article:published_time' content='2026-11-01T10:00:00+01:00'>"
    result = stage().process(doc(page(head=head)))
    assert result.date_source == "page"
    assert result.published_at.date().isoformat() == "2026-11-01"


def test_a_future_feed_date_is_refused_and_flagged() -> None:
    future = datetime(2031, 1, 1, tzinfo=timezone.utc)
    result = stage().process(doc(page(), feed_published=future))
    assert result.published_at != future and result.published_at <= NOW
    assert "date_implausible" in result.flags


def test_without_any_usable_date_the_first_seen_time_is_used_and_flagged() -> None:
    result = stage().process(doc(page(head="<meta name='date' content='32/13/xxxx'>")))
    assert (result.published_at, result.date_source, result.date_suspect) == (NOW, "first_seen", True)


def test_a_paywalled_page_keeps_the_feed_summary_and_is_flagged_short() -> None:
    paywall = page(body="Cet article est réservé aux abonnés.")
    result = stage().process(doc(paywall, feed_summary="Résumé du flux : une classe menacée dans le 19e."))
    assert "extraction_short" in result.flags
    assert result.text.startswith("Résumé du flux")
    assert result.content_hash is None  # a summary is not the article: no exact-duplicate matching on it


@pytest.mark.parametrize("html, flag", [
    (b"", "empty_page"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 20, "binary_content"),
])
def test_unusable_pages_keep_the_feed_summary_with_the_reason(html: bytes, flag: str) -> None:
    result = stage().process(doc(html, feed_title="Un titre", feed_summary="Le résumé du flux."))
    assert flag in result.flags
    assert result.text == "Le résumé du flux."


def test_an_item_with_nothing_readable_is_dropped_with_its_reason() -> None:
    with pytest.raises(Drop) as dropped:
        stage().process(doc(b""))
    assert dropped.value.reason == "nothing_readable"


def test_a_text_of_emoji_only_is_dropped_as_having_no_words() -> None:
    emoji = "<html><body><article><p>" + "🎉😀🔥 " * 200 + "</p></article></body></html>"
    with pytest.raises(Drop) as dropped:
        stage().process(doc(emoji.encode(), feed_title="🎉🎉"))
    assert dropped.value.reason == "no_words"


def test_a_text_in_a_language_not_kept_is_dropped_with_the_language() -> None:
    german = ("Die Stadtverwaltung hat am Montag angekündigt, dass die Schule in der Nähe des Bahnhofs "
              "im nächsten Jahr renoviert wird. Die Eltern sind mit dem Zeitplan nicht zufrieden und "
              "fordern eine schnellere Lösung für die Kinder, die derzeit in Containern lernen müssen.")
    with pytest.raises(Drop) as dropped:
        stage(languages=("fr", "en")).process(doc(page(body=german, lang="de")))
    assert dropped.value.reason == "language:de"


def test_a_five_megabyte_single_line_page_of_text_is_extracted() -> None:
    html = page(body=BODY + " mot" * (5 * 1024 * 1024 // 4))
    assert b"\n" not in html and len(html) > 5_000_000
    result = stage(max_html_bytes=11 * 1024 * 1024).process(doc(html, feed_title="Titre"))
    assert result.text and "rue Archereau" in result.text


def test_a_five_megabyte_page_of_tags_is_refused_quickly_with_the_summary_kept() -> None:
    html = page().replace(b"<footer>", b"<span>bloc</span>" * (5 * 1024 * 1024 // 17) + b"<footer>")
    assert b"\n" not in html and len(html) > 5_000_000
    result = stage(max_html_bytes=6 * 1024 * 1024).process(doc(html, feed_title="Titre", feed_summary="Résumé."))
    assert "page_too_complex" in result.flags and result.text == "Résumé."


def test_a_page_over_the_size_cap_keeps_the_summary_and_says_so() -> None:
    result = stage(max_html_bytes=100).process(doc(page(), feed_title="Titre", feed_summary="Résumé."))
    assert "page_too_large" in result.flags and result.text == "Résumé."


def test_the_content_hash_ignores_case_accents_and_spacing() -> None:
    assert content_hash("L'école  ÉTÉ\nfermée") == content_hash("l'ecole ete fermee")
    assert content_hash("une école") != content_hash("une autre école")
