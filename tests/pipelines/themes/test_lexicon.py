import pytest

from pipelines.themes import Lexicon, LexiconError
from pipelines.themes.text import normalise


def test_the_shipped_lexicon_covers_every_group() -> None:
    lexicon = Lexicon.default()
    assert {entry.group for entry in lexicon.entries} == {"social_education", "environment", "public_space",
                                                          "off_theme"}
    assert len(lexicon.source_hash) == 64


def test_phrases_match_inflected_forms_and_report_the_lexicon_words() -> None:
    found = Lexicon.default().match(normalise("Les pistes cyclables du boulevard", "").stems)
    assert "piste cyclable" in found["public_space"].entries


def test_synonymous_entries_are_counted_once() -> None:
    lexicon = Lexicon.from_mapping({"public_space": {"piétonnisation": 3, "piétonniser": 2}})
    assert len(lexicon.entries) == 1
    assert lexicon.match(normalise("", "piétonnisation").stems)["public_space"].score == 3


def test_a_word_repeated_many_times_counts_at_most_three_times() -> None:
    lexicon = Lexicon.from_mapping({"environment": {"arbre": 2}})
    assert lexicon.match(normalise("", "arbre " * 10).stems)["environment"].score == 6


@pytest.mark.parametrize("data, message", [
    ({"sport": {"match": 1}}, "unknown lexicon group 'sport'"),
    ({"environment": {"arbre": 9}}, "weight between 0 and 5"),
    ({"environment": {"2024": 1}}, "no word to match"),
])
def test_a_bad_lexicon_says_which_entry(data: dict, message: str) -> None:
    with pytest.raises(LexiconError, match=message):
        Lexicon.from_mapping(data)
