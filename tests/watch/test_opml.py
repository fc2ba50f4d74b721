"""OPML source files: our attributes round-trip; hostile files are refused or read safely."""

from __future__ import annotations

from pathlib import Path

import pytest

from watch.opml import SourceFileError, from_opml, from_yaml, to_opml


def test_opml_keeps_every_field_and_other_readers_see_a_plain_subscription() -> None:
    sources = [{"name": "Le Quotidien", "url": "https://q.example/rss", "kind": "feed", "enabled": True,
                "block": ["/sport/"], "cookie": {"$env": "Q_COOKIE"}, "notes": "« Paris »"},
               {"name": "Blog", "url": "https://b.example/", "kind": "page", "enabled": False,
                "rules": {"item": "li", "title": "h2 a", "link": "h2 a"}}]
    text = to_opml(sources)
    assert 'xmlUrl="https://q.example/rss"' in text and 'type="rss"' in text
    assert from_opml(text) == sources


def test_an_opml_file_with_an_external_entity_does_not_leak_the_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("TOP-SECRET")
    text = (f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file://{secret}">]>'
            '<opml version="2.0"><body><outline text="&x;" xmlUrl="https://a.example/rss"/></body></opml>')
    try:
        sources = from_opml(text)
    except SourceFileError:
        return
    assert all("TOP-SECRET" not in s["name"] for s in sources)


def test_an_opml_entity_bomb_is_refused_or_harmless() -> None:
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + n)} "{("&" + chr(97 + n) + ";") * 10}">' for n in range(8))
    text = (f'<?xml version="1.0"?><!DOCTYPE opml [{entities}]>'
            '<opml version="2.0"><body><outline text="&i;" xmlUrl="https://a.example/rss"/></body></opml>')
    try:
        sources = from_opml(text)
    except SourceFileError:
        return
    assert all(len(s["name"]) < 10_000 for s in sources)


@pytest.mark.parametrize("text", ["<html/>", "not xml at all <", "<opml><body><outline veille:x='1'/></body>"])
def test_a_file_that_is_not_opml_is_an_error_that_says_so(text: str) -> None:
    with pytest.raises(SourceFileError):
        from_opml(text)


def test_a_yaml_file_must_be_a_list_of_sources() -> None:
    with pytest.raises(SourceFileError):
        from_yaml("sources: 3")
    assert from_yaml("- name: a\n  url: https://a.example/\n") == [{"name": "a", "url": "https://a.example/"}]
