"""A small archive built directly through the models: sources, items, theme scores, places,
stories and labels, for the weeks the review tests look at."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Iterator

import pytest
from sqlalchemy.orm import Session

from digests.options import GroupOptions, ReviewOptions
from models import Database, Digest, DigestEntry, Item, ItemPlace, Label, Source, Story, ThemeScore

GROUPS = {"social_education": GroupOptions("social_education", "Social – Éducation"),
          "environment": GroupOptions("environment", "Environnement", recipients=("a@example.org", "b@example.org")),
          "public_space": GroupOptions("public_space", "Espace public")}
NOW = datetime(2026, 11, 23, 7, 0, tzinfo=timezone.utc)  # Monday after week 47


def paris(day: int, hour: int = 12, month: int = 11) -> datetime:
    """A November 2026 time given in Paris (UTC+1)."""
    return datetime(2026, month, day, hour - 1, 0, tzinfo=timezone.utc)


@dataclass
class Archive:
    session: Session
    sources: dict[str, Source] = field(default_factory=dict)
    n: int = 0

    def source(self, name: str, outlet_type: str = "regional") -> Source:
        if name not in self.sources:
            source = Source(name=name, url=f"http://127.0.0.1/{len(self.sources)}/feed", outlet_type=outlet_type)
            self.session.add(source)
            self.session.flush()
            self.sources[name] = source
        return self.sources[name]

    def item(self, outlet: str, title: str, *, when: datetime, text: str = "", summary: str | None = None,
             themes: dict[str, float] | None = None, places: tuple[int, ...] = (), story: Story | None = None,
             author: str | None = None, reasons: list[dict] | None = None, copy_of: Item | None = None,
             wire: bool = False, outlet_type: str = "regional", threshold: float = 0.5) -> Item:
        self.n += 1
        source = self.source(outlet, outlet_type)
        url = f"https://{hashlib.md5(outlet.encode()).hexdigest()[:8]}.example/{self.n}-article"
        item = Item(canonical_url=url, url=url, source_id=source.id, title=title, text=text, summary=summary,
                    language="fr", author=author, published_at=when, first_seen_at=when, state="done",
                    story_id=story.id if story else None, is_wire=wire,
                    duplicate_of_id=copy_of.id if copy_of else None,
                    duplicate_kind="wire" if copy_of is not None and wire else ("near" if copy_of else None))
        self.session.add(item)
        self.session.flush()
        for theme, score in (themes or {}).items():
            self.session.add(ThemeScore(item_id=item.id, theme=theme, score=score, assigned=score >= threshold,
                                        model_version="test-1", reasons=reasons or []))
        for arr in places:
            self.session.add(ItemPlace(item_id=item.id, arrondissement=arr, evidence=[]))
        self.session.flush()
        return item

    def story(self, title: str | None = None) -> Story:
        story = Story(title=title)
        self.session.add(story)
        self.session.flush()
        return story

    def label(self, item: Item, themes: list[str], author: str = "Claire (animatrice)",
              at: datetime | None = None) -> None:
        self.session.add(Label(item_id=item.id, author=author, themes=sorted(themes),
                               created_at=at or NOW - timedelta(hours=1)))
        self.session.flush()

    def digest(self, group: str, week: str, **values: object) -> Digest:
        digest = Digest(group=group, week=week, **values)
        self.session.add(digest)
        self.session.flush()
        return digest

    def entry(self, digest: Digest, **values: object) -> DigestEntry:
        entry = DigestEntry(digest_id=digest.id, **values)
        self.session.add(entry)
        self.session.flush()
        return entry


@pytest.fixture
def options() -> ReviewOptions:
    return ReviewOptions(groups=GROUPS, base_url="https://veille.example.org", top_stories=2, max_stories=4,
                         max_brief=5)


@pytest.fixture
def archive(database: Database) -> Iterator[Archive]:
    with database.writer() as session:
        yield Archive(session)
        session.commit()


OASIS_1 = ("Dans le 11e arrondissement, la cour de l'école Keller est devenue une cour Oasis pendant les vacances. "
           "Le bitume a laissé place à de la terre, des arbres et un petit ruisseau qui recueille l'eau de pluie. "
           "Les enfants ont découvert mardi un espace plus frais, pensé pour les jours de canicule. "
           "La Ville prévoit de transformer vingt autres cours d'ici l'été prochain. "
           "Les parents d'élèves saluent le projet mais demandent que la cour reste ouverte au quartier le samedi.")
OASIS_2 = ("La mairie du 11e a présenté mercredi le bilan des cours Oasis de l'arrondissement. "
           "Selon l'adjointe chargée de la végétalisation, la température au sol a baissé de six degrés en été. "
           "Une association de riverains regrette cependant la lenteur des travaux dans les écoles du nord du quartier. "
           "Les prochaines cours seront choisies avec les conseils de quartier.")
OASIS_3 = ("Arbres, jardins pédagogiques et fontaines : le programme des cours Oasis continue dans l'est parisien. "
           "Le Dessous des pavés a visité trois chantiers et interrogé les enseignants. "
           "Ils décrivent une cour plus calme, où les jeux se mélangent davantage. "
           "Le coût, environ 300 000 euros par cour, fait débat au Conseil de Paris.")
AIR_1 = ("Les capteurs installés porte de la Chapelle ont relevé des pics de dioxyde d'azote pendant toute la semaine. "
         "Airparif explique ces valeurs par le trafic du boulevard périphérique et l'absence de vent. "
         "Les habitants du 18e demandent une accélération du plan de réduction de la vitesse. "
         "La préfecture n'a pas déclenché de procédure d'alerte.")
AIR_WIRE = ("Les capteurs installés porte de la Chapelle ont relevé des pics de dioxyde d'azote pendant toute la semaine. "
            "Airparif explique ces valeurs par le trafic du boulevard périphérique et l'absence de vent.")
AIR_2 = ("Une pétition réclame des murs antibruit et une végétalisation des abords du périphérique dans le 18e. "
         "Elle a recueilli plus de deux mille signatures en quelques jours. "
         "Les élus d'opposition demandent un débat au prochain conseil d'arrondissement.")


def build_week(archive: Archive) -> dict[str, Item]:
    """Week 47 of 2026 (16–22 November) for the Environnement group, with history before it."""
    a = archive
    oasis = a.story("Les cours Oasis du 11e, un an après")
    air = a.story()
    env = "environment"
    reasons = [{"term": "cour oasis", "weight": 2.1, "kind": "lexicon"}, {"term": "végétalisation", "weight": 1.2,
                                                                          "kind": "feature"}]
    items = {
        "oasis1": a.item("L'Écho national", "Dans le 11e, une cour d'école devient un îlot de fraîcheur",
                         when=paris(17, 9), text=OASIS_1, themes={env: 0.91, "social_education": 0.7},
                         places=(11,), story=oasis, author="Léa Martin", reasons=reasons, outlet_type="national"),
        "oasis2": a.item("Radio Seine Cité", "Cours Oasis : la mairie du 11e fait ses comptes", when=paris(18, 8),
                         text=OASIS_2, themes={env: 0.84}, places=(11,), story=oasis, outlet_type="local"),
        "oasis3": a.item("Le Dessous des pavés", "Cours Oasis, le grand chantier des écoles de l'est",
                         when=paris(20, 17), text=OASIS_3, themes={env: 0.77}, places=(11, 20), story=oasis,
                         author="Tom Roux", outlet_type="independent"),
        "air1": a.item("Le Courrier d'Île-de-France", "Pics de pollution à la porte de la Chapelle",
                       when=paris(19, 10), text=AIR_1, themes={env: 0.88}, places=(18,), story=air,
                       outlet_type="regional"),
        "air2": a.item("L'Instant Paris", "Périphérique : une pétition pour des murs antibruit", when=paris(21, 11),
                       text=AIR_2, themes={env: 0.66, "public_space": 0.55}, places=(18,), story=air),
    }
    items["airwire"] = a.item("L'Instant Paris", "Pollution : pics à la porte de la Chapelle (APP)",
                              when=paris(19, 15), text=AIR_WIRE, themes={env: 0.7}, places=(18,),
                              copy_of=items["air1"], wire=True)
    items["compost"] = a.item("Lutèce Infos", "Des composteurs de quartier dans le 19e", when=paris(16, 14),
                              text="La Ville installe quarante composteurs collectifs dans le 19e. "
                                   "Les habitants peuvent s'inscrire en mairie pour en devenir référents.",
                              themes={env: 0.8}, places=(19,), outlet_type="institutional")
    items["seine"] = a.item("L'Écho national", "Baignade dans la Seine : les sites de l'été prochain",
                            when=paris(22, 20), text="Trois sites de baignade rouvriront l'été prochain. "
                            "La qualité de l'eau sera publiée chaque matin sur un site de la Ville.",
                            themes={env: 0.6}, places=(4,), outlet_type="national")
    items["heat"] = a.item("Radio Seine Cité", "Un plan canicule pour les écoles", when=paris(16, 7),
                           text="Les écoles du 13e testeront des salles rafraîchies. L'expérience durera deux étés.",
                           themes={env: 0.52}, places=(13,), outlet_type="local")
    # The model missed it; a facilitator put it in the group.
    items["labelled_in"] = a.item("Lutèce Infos", "Une ressourcerie ouvre rue de Charonne", when=paris(18, 12),
                                  text="La nouvelle ressourcerie reprend meubles et vêtements pour leur donner "
                                       "une seconde vie. Elle emploie dix personnes en insertion.",
                                  themes={env: 0.3}, places=(11,), outlet_type="institutional")
    a.label(items["labelled_in"], [env, "social_education"])
    # The model put it in; a facilitator took it out.
    items["labelled_out"] = a.item("L'Instant Paris", "Le marathon de Paris change de parcours",
                                   when=paris(18, 9), themes={env: 0.55})
    a.label(items["labelled_out"], [])
    items["excluded"] = a.item("L'Instant Paris", "Un sapin géant sur le parvis", when=paris(20, 9),
                               text="Le sapin arrivera de Normandie.", themes={env: 0.51}, places=(4,))
    digest = a.digest(env, "2026-W47", editor_note="Semaine chargée sur l'air : on en parle jeudi.")
    a.entry(digest, item_id=items["excluded"].id, excluded=True)
    # Outside the week, or not the group's.
    a.item("L'Écho national", "Nuit blanche : le programme", when=paris(23, 10), themes={env: 0.9})
    a.item("L'Écho national", "Résultats du PSG", when=paris(19, 10), themes={env: 0.1})
    # History: the usual coverage of the group in weeks 43–46, much of it in the 12e and on waste.
    for week_start in (paris(26, 12, 10), paris(2), paris(9)):
        for k in range(3):
            a.item("Le Courrier d'Île-de-France", f"Bois de Vincennes : nouvelles poubelles de tri ({k})",
                   when=week_start + timedelta(days=k), summary="Tri des déchets et recyclage au bois.",
                   themes={env: 0.8}, places=(12,))
    return items


# -- The application with groups that have recipients, and a real SMTP server on loopback. --

import socket  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from veille.core import Veille  # noqa: E402

from ..conftest import make_settings  # noqa: E402

RECIPIENTS = ["lea@example.org", "amadou@example.org"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Collector:
    """An aiosmtpd handler that keeps what it receives; addresses starting with "refuse" get a 550."""

    def __init__(self, delay: float = 0.0) -> None:
        self.envelopes: list = []
        self.delay = delay
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if address.startswith("refuse"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


class SmtpSink:
    def __init__(self, port: int, delay: float = 0.0) -> None:
        from aiosmtpd.controller import Controller

        self.port = port
        self.handler = Collector(delay)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=port)

    def start(self) -> "SmtpSink":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def envelopes(self) -> list:
        return self.handler.envelopes


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def digest_app(database: Database, tmp_path: Path, smtp_port: int) -> Iterator[Veille]:
    settings = make_settings(
        tmp_path, database.url,
        digests={"base_url": "https://veille.example.org", "top_stories": 2, "max_stories": 4, "max_brief": 5,
                 "groups": {"environment": {"title": "Environnement", "recipients": RECIPIENTS},
                            "social_education": {"title": "Social – Éducation"},
                            "public_space": {"title": "Espace public"}}},
        smtp={"host": "127.0.0.1", "port": smtp_port, "security": "none", "timeout": 5,
              "sender": "Veille de l'Assemblée <veille@example.org>", "max_attempts": 3, "retry_minutes": 10})
    veille = Veille(settings)
    veille.data_dir.mkdir(parents=True, exist_ok=True)
    veille.__dict__["db"] = database
    yield veille


def fill(database: Database) -> dict[str, Item]:
    with database.writer() as session:
        items = build_week(Archive(session))
        session.commit()
    return items
