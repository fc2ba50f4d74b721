"""A small archive for the search tests: a few outlets and items whose words, dates,
themes, places and people are chosen so each test knows its exact answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from models import Database, Entity, Item, ItemPlace, Label, Source, Story, ThemeScore
from models.search import index_items


@dataclass
class Doc:
    key: str
    title: str
    text: str
    when: datetime
    source: str = "Le Parisien – Paris"
    themes: list[str] = field(default_factory=list)
    places: list[int] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    story: str | None = None


def at(day: int, month: int = 11, year: int = 2026, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=timezone.utc)


SOURCES = {"Le Parisien – Paris": "regional", "Libération": "national", "Actu Paris 11": "local",
           "Paris.fr": "institutional"}

DOCS = [
    Doc("ecole", "Une nouvelle école ouvre rue de la Roquette",
        "La Ville a inauguré l'école élémentaire. Les parents saluent la cour végétalisée.",
        at(2), themes=["social_education"], places=[11], people=["Anne Hidalgo"], story="rentree"),
    Doc("ecoles", "Les écoles du 19e manquent d'animateurs",
        "Le périscolaire manque de personnel dans plusieurs écoles, dénoncent les syndicats.",
        at(5), source="Libération", themes=["social_education"], places=[19], story="rentree"),
    Doc("vegetalisation", "La végétalisation des cours d'école continue",
        "Le programme des cours Oasis prévoit la végétalisation de trente cours supplémentaires.",
        at(9), source="Paris.fr", themes=["environment", "social_education"], places=[11, 12]),
    Doc("velo", "Une piste cyclable sur le boulevard Voltaire",
        "Le Conseil de Paris a voté la piste. Les cyclistes réclamaient ce vélo-boulevard depuis longtemps.",
        at(12), source="Actu Paris 11", themes=["public_space"], places=[11], people=["Emmanuel Grégoire"]),
    Doc("conseil", "Conseil de Paris : le budget adopté",
        "Les élus du Conseil de Paris ont adopté le budget primitif après deux jours de débats.",
        at(16), source="Libération", themes=["public_space"], people=["Anne Hidalgo"]),
    Doc("canicule", "Canicule : les îlots de fraîcheur ouverts la nuit",
        "Face à la canicule, les parcs restent ouverts. Le conseil municipal prévoit des arbres.",
        at(20, month=7), source="Le Parisien – Paris", themes=["environment"], places=[13]),
    Doc("elections", "Élections municipales : les listes se préparent",
        "Les candidats aux élections préparent leurs listes pour le scrutin de mars.",
        at(3, month=10), source="Libération", themes=[]),
    Doc("hostile", "Un titre <script>alert(1)</script> piégé",
        "Texte avec <b onclick=\"x()\">balises</b> & esperluette, et le mot piège.",
        at(6, month=10), source="Actu Paris 11"),
]


def load(database: Database, docs: list[Doc] = DOCS) -> dict[str, int]:
    """Store the docs as processed items and index them; returns item ids by key."""
    ids: dict[str, int] = {}
    with database.transaction() as session:
        sources = {}
        for name, outlet_type in SOURCES.items():
            source = Source(name=name, url=f"https://example.org/{len(sources)}.xml", outlet_type=outlet_type)
            session.add(source)
            sources[name] = source
        stories: dict[str, Story] = {}
        session.flush()
        for doc in docs:
            if doc.story and doc.story not in stories:
                stories[doc.story] = Story(title=doc.story)
                session.add(stories[doc.story])
                session.flush()
            item = add_item(session, doc, sources[doc.source].id, stories[doc.story].id if doc.story else None)
            ids[doc.key] = item.id
        index_items(session, ids.values())
    return ids


def add_item(session: Session, doc: Doc, source_id: int, story_id: int | None = None) -> Item:
    item = Item(canonical_url=f"https://example.org/{doc.key}", url=f"https://example.org/{doc.key}",
                source_id=source_id, title=doc.title, text=doc.text, published_at=doc.when, state="done",
                story_id=story_id)
    session.add(item)
    session.flush()
    for theme in ("social_education", "environment", "public_space"):
        session.add(ThemeScore(item_id=item.id, theme=theme, score=0.9 if theme in doc.themes else 0.1,
                               assigned=theme in doc.themes, model_version="test"))
    for arrondissement in doc.places:
        session.add(ItemPlace(item_id=item.id, arrondissement=arrondissement))
    for person in doc.people:
        session.add(Entity(item_id=item.id, label="PER", text=person,
                           norm=person.lower().replace("é", "e")))
    session.flush()
    return item


def relabel(database: Database, item_id: int, themes: list[str], when: datetime | None = None) -> None:
    with database.transaction() as session:
        session.add(Label(item_id=item_id, author="Fanny", themes=themes,
                          **({"created_at": when} if when else {})))
        session.flush()
        index_items(session, [item_id])
