"""Enrich: people, organisations and places with spaCy, lemmas, and the arrondissements."""

from pipelines import Document, EnrichStage


def test_people_organisations_places_lemmas_and_arrondissements_are_found() -> None:
    doc = Document(url="https://example.org/a", title="Dans le 19e, des parents occupent l'école Archereau",
                   text="Samira Benhaddou, mère de deux élèves, a rencontré Anne Hidalgo à l'Hôtel de Ville. "
                        "L'Académie de Paris étudie la situation de l'école de la rue de Crimée. "
                        "Anne Hidalgo a promis une réponse.")
    [result] = EnrichStage().process_many([doc])
    people = {e.norm: e.count for e in result.entities if e.label == "PER"}
    assert people.get("anne hidalgo") == 2 and "samira benhaddou" in people
    assert any(e.label in ("ORG", "LOC") and "academie" in e.norm for e in result.entities)
    assert "élève" in result.lemmas.split() and "occuper" in result.lemmas.split()
    assert [p.arrondissement for p in result.places] == [19]


def test_documents_are_enriched_in_one_batch_and_keep_their_order() -> None:
    docs = [Document(url=f"u{n}", title=title, text="") for n, title in
            enumerate(["Travaux rue Oberkampf", "Fête au parc de Belleville", "Un texte sans lieu"])]
    results = EnrichStage().process_many(docs)
    assert [[p.arrondissement for p in r.places] for r in results] == [[11], [20], []]
