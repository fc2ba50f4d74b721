"""The rights rules of the extractive summaries hold whatever the input."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from digests.selection import Selected
from digests.summaries import MAX_PER_SOURCE, split_sentences, summarise


@dataclass
class FakeSource:
    name: str


@dataclass
class FakeItem:
    """The attributes of `models.Item` the summariser reads."""

    id: int
    source_id: int
    source: FakeSource
    text: str | None
    summary: str | None = None
    description: str | None = None
    canonical_url: str = "https://example.org/a"
    published_at: datetime = datetime(2026, 11, 17, tzinfo=timezone.utc)
    first_seen_at: datetime = datetime(2026, 11, 17, tzinfo=timezone.utc)


def member(item_id: int, source_id: int, text: str, summary: str | None = None) -> Selected:
    item = FakeItem(item_id, source_id, FakeSource(f"Média {source_id}"), text, summary)
    return Selected(item=item, score=0.9)  # type: ignore[arg-type]


LONG = ("La Ville de Paris a annoncé lundi la fermeture de la rue Keller aux voitures devant l'école. "
        "Les parents d'élèves réclamaient cette mesure depuis deux ans pour la sécurité des enfants. "
        "Les riverains craignent un report de la circulation vers la rue de la Roquette. "
        "Une réunion publique aura lieu à la mairie du 11e le 3 décembre. "
        "La préfecture de police doit encore valider le nouveau plan de circulation du quartier.")


def test_french_sentences_split_at_their_ends_not_at_abbreviations() -> None:
    text = "M. Dupont, adjoint, l'a dit. Mme Diallo répond « non ». Le 3e acte commence ! Fin."
    assert split_sentences(text) == ["M. Dupont, adjoint, l'a dit.", "Mme Diallo répond « non ».",
                                     "Le 3e acte commence !", "Fin."]


def test_never_more_than_two_sentences_from_one_source() -> None:
    quotes = summarise([member(1, 1, LONG), member(2, 1, LONG.replace("lundi", "mardi"))])
    assert len(quotes) <= MAX_PER_SOURCE


def test_three_sources_give_three_attributed_sentences() -> None:
    quotes = summarise([member(1, 1, LONG), member(2, 2, LONG.replace("Ville de Paris", "mairie")),
                        member(3, 3, "Une pétition des habitants de la rue Keller a réuni mille signatures en une "
                                     "semaine. " + LONG.split(". ", 2)[2])])
    assert len(quotes) == 3
    assert len({q.item_id for q in quotes}) >= 2


def test_sentences_leaning_on_the_previous_one_are_not_quoted() -> None:
    quotes = summarise([member(1, 1, "La crèche de la rue Riquet ferme en décembre pour travaux. "
                                     "Elle rouvrira au printemps avec vingt places de plus, promet la mairie.")])
    assert all(not q.text.startswith("Elle") for q in quotes)


sentence = st.text(alphabet=st.sampled_from("abcdefghij éèàç,'"), min_size=45, max_size=120).map(
    lambda s: "Le " + s.strip() + ".")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 3), st.lists(sentence, min_size=1, max_size=6)), min_size=1, max_size=5))
def test_no_summary_quotes_a_whole_article_or_too_much_of_one_source(articles: list) -> None:  # type: ignore[type-arg]
    members = [member(i, source, " ".join(sentences)) for i, (source, sentences) in enumerate(articles, 1)]
    quotes = summarise(members)
    assert len(quotes) <= 3
    for m in members:
        quoted = [q.text for q in quotes if q.item_id == m.item.id]
        assert sum(map(len, quoted)) <= 0.4 * len(m.item.text) + 1
    per_source: dict[int, int] = {}
    for q in quotes:
        source = next(m.item.source_id for m in members if m.item.id == q.item_id)
        per_source[source] = per_source.get(source, 0) + 1
    assert all(n <= MAX_PER_SOURCE for n in per_source.values())
