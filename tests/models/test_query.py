"""The query language: each operator, fields, prefixes, errors with positions, and a fuzz
run showing that any string gives a tree, None or a QueryError — never another exception."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.query import And, Not, Or, Phrase, QueryError, Term, describe, only_negative, parse


def test_words_are_anded() -> None:
    assert parse("vélo piste") == And((Term(("vélo",)), Term(("piste",))))
    assert parse("vélo AND piste") == parse("vélo ET piste") == parse("vélo piste")


def test_or_binds_looser_than_and() -> None:
    assert parse("a1 b2 OR c3") == Or((And((Term(("a1",)), Term(("b2",)))), Term(("c3",))))
    assert parse("vélo OU bus") == Or((Term(("vélo",)), Term(("bus",))))


def test_not_and_minus() -> None:
    assert parse("vélo NOT bus") == parse("vélo -bus") == parse("vélo SAUF bus") == And(
        (Term(("vélo",)), Not(Term(("bus",)))))
    assert only_negative(parse("-bus"))
    assert not only_negative(parse("vélo -bus"))


def test_lower_case_operators_are_words() -> None:
    assert parse("pain or vin") == And((Term(("pain",)), Term(("or",)), Term(("vin",))))


def test_phrases_prefixes_and_fields() -> None:
    assert parse('"conseil de Paris"') == Phrase(("conseil", "de", "Paris"))
    assert parse("végétal*") == Term(("végétal",), prefix=True)
    assert parse("title:canicule") == parse("titre:canicule") == Term(("canicule",), "title")
    assert parse('title:"îlots de fraîcheur"') == Phrase(("îlots", "de", "fraîcheur"), "title")
    assert parse("source:libération") == Term(("libération",), "source")
    assert parse("-source:libération") == Not(Term(("libération",), "source"))
    assert parse("(vélo OR bus) -travaux") == And((Or((Term(("vélo",)), Term(("bus",)))),
                                                   Not(Term(("travaux",)))))


def test_an_unknown_field_is_just_words() -> None:
    assert parse("heure:14") == Phrase(("heure", "14"))


def test_elided_articles_and_common_words_are_dropped() -> None:
    assert parse("l'école") == Term(("école",))
    assert parse("la cantine") == Term(("cantine",))
    assert parse("le la les") is None
    assert parse('"de la"') is None
    assert parse("") is None and parse("   ") is None and parse("!!!") is None


def test_describe_round_trips_the_tree() -> None:
    tree = parse('(vélo OR "piste cyclable") -title:travaux végét*')
    assert parse(describe(tree)) == tree


@pytest.mark.parametrize("query, position, words", [
    ('vélo "piste', 5, "Guillemet non fermé"),
    ("(vélo OR bus", 0, "Parenthèse non fermée"),
    ("vélo)", 4, "Parenthèse fermante"),
    ("AND vélo", 0, "AND doit être précédé"),
    ("vélo AND", 5, "AND doit être suivi"),
    ("vélo OR", 5, "OR doit être suivi"),
    ("OR vélo", 0, "OR doit être précédé"),
    ("vélo NOT", 5, "NOT doit être suivi"),
    ("()", 0, "Parenthèses vides"),
    ("v*", 0, "Préfixe trop court"),
    ("vé*lo", 2, "L'étoile"),
    ("title:", 0, "Rien après"),
    ("title: vélo", 0, "Rien après"),
    ("(" * 13 + "vélo" + ")" * 13, 12, "imbriquées"),
])
def test_malformed_queries_say_what_and_where(query, position, words) -> None:
    with pytest.raises(QueryError) as error:
        parse(query)
    assert words in error.value.message
    assert error.value.position == position
    assert f"caractère {position + 1}" in str(error.value)


def test_too_long_or_too_many_words() -> None:
    with pytest.raises(QueryError, match="trop longue"):
        parse("a" * 1001)
    with pytest.raises(QueryError, match="Trop de mots"):
        parse(" ".join(f"mot{i}" for i in range(41)))


QUERY_ALPHABET = st.sampled_from(list('abcé "()*:-_ANDORNOT\'\\\x00\t{}^~+|&!title:source:') + ["AND", "OR",
                                                                                                   "NOT", "title:"])
FUZZ_RUNS = 3000


@settings(max_examples=FUZZ_RUNS, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=60), st.lists(QUERY_ALPHABET, max_size=25).map("".join)))
def test_any_string_parses_or_raises_a_query_error(query: str) -> None:
    try:
        tree = parse(query)
    except QueryError as error:
        assert 0 <= error.position <= max(len(query), 1000)
        return
    if tree is not None:
        assert parse(describe(tree)) == tree
